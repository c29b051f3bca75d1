import type { Sql } from "postgres";
import * as v from "valibot";
import { TaskerError } from "../lib/errors.ts";
import { createDlqRepository } from "../orchestration/dlq/dlqRepository.ts";
import { defineRoute, type ApiRoute } from "./apiRoute.ts";
import { TaskParamsSchema } from "./schemas/commonSchemas.ts";
import {
  DlqEntryParamsSchema,
  DlqEntrySchema,
  DlqLimitQuerySchema,
  DlqListQuerySchema,
  DlqPatchSchema,
  DlqRowsSchema,
  DlqStatsSchema,
  DlqUpdateResponseSchema,
} from "./schemas/dlqSchemas.ts";

/** /v1/dlq: the dead-letter investigation tracker (tasker.tasks_dlq). */
export function createDlqRoutes(deps: { sql: Sql }): ApiRoute[] {
  const dlq = createDlqRepository(deps.sql);
  return [
    defineRoute(
      {
        method: "get",
        path: "/v1/dlq",
        operationId: "listDlqEntries",
        summary: "DLQ entries, newest first",
        tag: "dlq",
        permission: "dlq:read",
        query: DlqListQuerySchema,
        responses: { 200: { description: "Entries", schema: v.array(DlqEntrySchema) } },
      },
      async ({ query, c }) =>
        c.json(await dlq.list({ resolutionStatus: query.resolution_status, limit: query.limit, offset: query.offset })),
    ),
    defineRoute(
      {
        method: "get",
        path: "/v1/dlq/task/{task_uuid}",
        operationId: "getDlqEntryForTask",
        summary: "The most recent DLQ entry of a task",
        tag: "dlq",
        permission: "dlq:read",
        params: TaskParamsSchema,
        responses: { 200: { description: "The entry", schema: DlqEntrySchema }, 404: { description: "The task has no DLQ entry" } },
      },
      async ({ params, c }) => {
        const entry = await dlq.findForTask(params.task_uuid);
        if (!entry) throw new TaskerError("NOT_FOUND", `no DLQ entry for task ${params.task_uuid}`);
        return c.json(entry);
      },
    ),
    defineRoute(
      {
        method: "patch",
        path: "/v1/dlq/entry/{dlq_entry_uuid}",
        operationId: "updateDlqEntry",
        summary: "Record the investigation's outcome on a DLQ entry",
        tag: "dlq",
        permission: "dlq:update",
        params: DlqEntryParamsSchema,
        body: DlqPatchSchema,
        responses: { 200: { description: "Updated", schema: DlqUpdateResponseSchema }, 404: { description: "No such entry" } },
      },
      async ({ params, body, c }) => {
        const updated = await dlq.update(params.dlq_entry_uuid, body);
        if (!updated) throw new TaskerError("NOT_FOUND", `no DLQ entry ${params.dlq_entry_uuid}`);
        return c.json({ success: true, message: "DLQ entry updated", dlq_entry_uuid: params.dlq_entry_uuid });
      },
    ),
    defineRoute(
      {
        method: "get",
        path: "/v1/dlq/stats",
        operationId: "getDlqStats",
        summary: "DLQ entries by reason and resolution",
        tag: "dlq",
        permission: "dlq:stats",
        responses: { 200: { description: "One row per reason", schema: v.array(DlqStatsSchema) } },
      },
      async ({ c }) => c.json(await dlq.stats()),
    ),
    defineRoute(
      {
        method: "get",
        path: "/v1/dlq/investigation-queue",
        operationId: "getDlqInvestigationQueue",
        summary: "Pending DLQ entries, most urgent first",
        tag: "dlq",
        permission: "dlq:read",
        query: DlqLimitQuerySchema,
        responses: { 200: { description: "Pending entries with a priority score", schema: DlqRowsSchema } },
      },
      async ({ query, c }) => c.json(await dlq.investigationQueue(query.limit)),
    ),
    defineRoute(
      {
        method: "get",
        path: "/v1/dlq/staleness",
        operationId: "getTaskStaleness",
        summary: "Unfinished tasks in watched states with their staleness health (stale, warning, healthy)",
        tag: "dlq",
        permission: "dlq:read",
        query: DlqLimitQuerySchema,
        responses: { 200: { description: "Tasks, stale first", schema: DlqRowsSchema } },
      },
      async ({ query, c }) => c.json(await dlq.staleness(query.limit)),
    ),
  ];
}
