import type { Sql } from "postgres";
import { TaskerError } from "../lib/errors.ts";
import type { BackpressureGate } from "../orchestration/backpressureGate.ts";
import type { OperatorActions } from "../orchestration/operatorActions.ts";
import type { CreateTask } from "../orchestration/taskInitializer.ts";
import { listTasks } from "../orchestration/taskListQuery.ts";
import { findTask } from "../orchestration/taskQueries.ts";
import { TaskRequestSchema } from "../orchestration/taskRequest.ts";
import { findTaskEvents } from "../orchestration/taskEventsQuery.ts";
import { findTaskSummary } from "../orchestration/taskSummaryQuery.ts";
import { defineRoute, type ApiRoute } from "./apiRoute.ts";
import { TaskParamsSchema } from "./schemas/commonSchemas.ts";
import { TaskEventsResponseSchema, TaskListQuerySchema, TaskListResponseSchema, TaskResponseSchema, TaskSummaryResponseSchema } from "./schemas/taskSchemas.ts";

export interface TaskRoutesDeps {
  sql: Sql;
  /** Undefined until the orchestration has started (503 until then). */
  createTask: () => CreateTask | undefined;
  /** Refuses task creation while the queues are too deep (503 BACKPRESSURE); undefined = no limit. */
  backpressure?: () => BackpressureGate | undefined;
  /** Operator actions with their lifecycle events; undefined until the orchestration has started. */
  operator: () => OperatorActions | undefined;
}

/** The running orchestration's operator actions, else 503. */
export function requireOperator(operator: () => OperatorActions | undefined): OperatorActions {
  const actions = operator();
  if (!actions) throw new TaskerError("SERVICE_UNAVAILABLE", "the orchestration is not running yet");
  return actions;
}

const notFound = (taskUuid: string): TaskerError => new TaskerError("NOT_FOUND", `no task ${taskUuid}`);

/** /v1/tasks: create, list, get, cancel, summary. */
export function createTaskRoutes(deps: TaskRoutesDeps): ApiRoute[] {
  const { sql } = deps;
  return [
    defineRoute(
      {
        method: "post",
        path: "/v1/tasks",
        operationId: "createTask",
        summary: "Create a task from a registered template",
        tag: "tasks",
        permission: "tasks:create",
        body: TaskRequestSchema,
        responses: {
          201: { description: "The created task, after its first steps were enqueued", schema: TaskResponseSchema },
          404: { description: "No worker registered this template" },
          409: { description: "A task with this identity already exists" },
          503: {
            description:
              "The orchestration is not running yet (SERVICE_UNAVAILABLE), or a queue is deeper than queues.backpressure.max_depth " +
              "(BACKPRESSURE, with a Retry-After header and retry_after_seconds)",
          },
        },
      },
      async ({ body, c }) => {
        const createTask = deps.createTask();
        if (!createTask) throw new TaskerError("SERVICE_UNAVAILABLE", "the orchestration is not running yet");
        await deps.backpressure?.()?.admit(body.namespace);
        const created = await createTask(body);
        const task = await findTask(sql, created.taskUuid);
        return c.json(task ?? { task_uuid: created.taskUuid, correlation_id: created.correlationId }, 201);
      },
    ),
    defineRoute(
      {
        method: "get",
        path: "/v1/tasks",
        operationId: "listTasks",
        summary: "List tasks, newest first, with pagination and filters",
        tag: "tasks",
        permission: "tasks:list",
        query: TaskListQuerySchema,
        responses: { 200: { description: "One page of tasks", schema: TaskListResponseSchema } },
      },
      async ({ query, c }) => {
        const page = await listTasks(sql, {
          page: query.page,
          perPage: query.per_page,
          namespace: query.namespace,
          state: query.state ?? query.status,
          initiator: query.initiator,
          sourceSystem: query.source_system,
          name: query.name,
          tag: query.tag,
          createdAfter: query.created_after,
          createdBefore: query.created_before,
          uuid: query.uuid,
        });
        const totalPages = Math.ceil(page.totalCount / query.per_page);
        return c.json({
          tasks: page.tasks,
          pagination: {
            page: query.page,
            per_page: query.per_page,
            total_count: page.totalCount,
            total_pages: totalPages,
            has_next: query.page < totalPages,
            has_previous: query.page > 1,
          },
        });
      },
    ),
    defineRoute(
      {
        method: "get",
        path: "/v1/tasks/{task_uuid}",
        operationId: "getTask",
        summary: "A task with its execution status and steps",
        tag: "tasks",
        permission: "tasks:read",
        params: TaskParamsSchema,
        responses: { 200: { description: "The task", schema: TaskResponseSchema }, 404: { description: "No such task" } },
      },
      async ({ params, c }) => {
        const task = await findTask(sql, params.task_uuid);
        if (!task) throw notFound(params.task_uuid);
        return c.json(task);
      },
    ),
    defineRoute(
      {
        method: "delete",
        path: "/v1/tasks/{task_uuid}",
        operationId: "cancelTask",
        summary: "Cancel a task: it and its unfinished steps become cancelled; their queued messages are archived",
        tag: "tasks",
        permission: "tasks:cancel",
        params: TaskParamsSchema,
        responses: {
          200: { description: "The cancelled task", schema: TaskResponseSchema },
          400: { description: "The task already finished (INVALID_STATE)" },
          404: { description: "No such task" },
        },
      },
      async ({ params, c }) => {
        if (!(await findTask(sql, params.task_uuid))) throw notFound(params.task_uuid);
        await requireOperator(deps.operator).cancelTask(params.task_uuid);
        const task = await findTask(sql, params.task_uuid);
        if (!task) throw notFound(params.task_uuid);
        return c.json(task);
      },
    ),
    defineRoute(
      {
        method: "get",
        path: "/v1/tasks/{task_uuid}/events",
        operationId: "getTaskEvents",
        summary: "The task's recent durable domain events (newest first, at most 100), from its namespace's event queue and archive",
        tag: "tasks",
        permission: "tasks:read",
        params: TaskParamsSchema,
        responses: { 200: { description: "The events", schema: TaskEventsResponseSchema }, 404: { description: "No such task" } },
      },
      async ({ params, c }) => {
        const events = await findTaskEvents(sql, params.task_uuid);
        if (!events) throw notFound(params.task_uuid);
        return c.json({ task_uuid: params.task_uuid, events });
      },
    ),
    defineRoute(
      {
        method: "get",
        path: "/v1/tasks/{task_uuid}/summary",
        operationId: "getTaskSummary",
        summary: "A task's summary: counts, template, step errors, DLQ status and links",
        tag: "tasks",
        permission: "tasks:read",
        params: TaskParamsSchema,
        responses: { 200: { description: "The summary", schema: TaskSummaryResponseSchema }, 404: { description: "No such task" } },
      },
      async ({ params, c }) => {
        const summary = await findTaskSummary(sql, params.task_uuid);
        if (!summary) throw notFound(params.task_uuid);
        return c.json(summary);
      },
    ),
  ];
}
