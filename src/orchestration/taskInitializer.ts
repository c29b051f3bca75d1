import * as v from "valibot";
import { SqlState, sqlStateOf } from "../db/sqlState.ts";
import { TaskerError, ValidationError } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { templateGraph } from "../templates/templateGraph.ts";
import { validateTaskContext } from "../templates/validateTaskContext.ts";
import type { Logger } from "../telemetry/logger.ts";
import { inSpan, traceHeaders } from "../telemetry/spans.ts";
import type { Telemetry } from "../telemetry/telemetry.ts";
import { identityHash } from "./identityHash.ts";
import type { TaskEvaluation } from "./taskEvaluation.ts";
import type { TaskEvaluationReporter } from "./taskEvaluationReporter.ts";
import type { TaskRepository } from "./taskRepository.ts";
import { describeRequestIssue, TaskRequestSchema } from "./taskRequest.ts";
import type { TemplateRepository } from "./templateRepository.ts";

export class TaskConflictError extends TaskerError {
  constructor(options: { cause?: unknown } = {}) {
    super("CONFLICT", "A task with this identity already exists", options);
  }
}

export interface CreatedTask {
  taskUuid: string;
  correlationId: string;
  evaluation: TaskEvaluation & { total_steps: number };
}

/**
 * A worker in this process (the combined role) that may take a root step of a task created
 * here, claimed in the creating transaction: no queue message, no notification, no claim
 * round trip (migration 0020).
 */
export interface LocalStepTaker {
  /** A free slot for a step of this template, held until `run`; undefined when there is none. */
  offer(namespace: string, name: string, version: string): LocalSlot | undefined;
}

export interface LocalSlot {
  /** What create_task needs to claim the step for this worker. */
  take: { worker_uuid: string; default_timeout_seconds: number; lease_grace_seconds: number };
  /** Runs the steps create_task claimed for this slot and frees it; an empty list frees it at once. */
  run(claimed: readonly unknown[]): void;
}

export interface TaskInitializerDeps {
  tasks: TaskRepository;
  templates: TemplateRepository;
  processId: string;
  logger: Logger;
  telemetry: Telemetry;
  reporter: TaskEvaluationReporter;
  /** Makes sure the namespace's worker queue exists before the first enqueue. */
  ensureNamespaceQueue: (namespace: string) => Promise<void>;
  /** This process's worker, when it may take a root step of a task created here. */
  localSteps?: () => LocalStepTaker | undefined;
}

/**
 * Validates a TaskRequest (shape, template, input_schema, identity), then creates
 * the task with its steps and enqueues the root steps in one transaction.
 * Throws ValidationError (400), TemplateNotFoundError (404) or TaskConflictError (409).
 *
 * With tracing on, the work runs in a `task.initialize` span (a child of the active span, e.g.
 * the HTTP request's); its W3C context is stored as `tasks.trace_context` and travels in the
 * headers of the first step messages, so every later span of the task joins this trace.
 * `traceContext` (a caller's traceparent) is stored as-is when tracing is off.
 */
export function createTaskInitializer(deps: TaskInitializerDeps) {
  const { metrics } = deps.telemetry;
  return async function createTask(input: unknown, traceContext: Record<string, string> | null = null): Promise<CreatedTask> {
    const started = performance.now();
    const parsed = v.safeParse(TaskRequestSchema, input);
    if (!parsed.success) {
      metrics.tasksRequests.add(1, { outcome: "invalid" });
      const { field, message } = describeRequestIssue(parsed.issues);
      throw new ValidationError(message, { field });
    }
    const request = parsed.output;
    const taskUuid = newId();
    const correlationId = request.correlation_id ?? newId();
    return inSpan(
      deps.telemetry,
      "task.initialize",
      {
        attributes: () => ({
          correlation_id: correlationId,
          task_uuid: taskUuid,
          namespace: request.namespace,
          "task.name": request.name,
          "task.version": request.version,
        }),
      },
      async (span) => {
        try {
          const created = await initialize(request, taskUuid, correlationId, traceHeaders(deps.telemetry) ?? traceContext, started);
          metrics.tasksRequests.add(1, { namespace: request.namespace, outcome: "created" });
          metrics.taskInitializationDuration.record(performance.now() - started, { namespace: request.namespace });
          span?.setAttribute("outcome", "created");
          return created;
        } catch (error) {
          const outcome = error instanceof TaskConflictError ? "conflict" : error instanceof TaskerError ? "invalid" : "error";
          metrics.tasksRequests.add(1, { namespace: request.namespace, outcome });
          span?.setAttribute("outcome", outcome);
          throw error;
        }
      },
    );
  };

  async function initialize(
    request: v.InferOutput<typeof TaskRequestSchema>,
    taskUuid: string,
    correlationId: string,
    traceContext: Record<string, string> | null,
    started: number,
  ): Promise<CreatedTask> {
    const { namedTaskUuid, template } = await deps.templates.find(request.namespace, request.name, request.version);
    const [problem] = validateTaskContext(template, request.context);
    if (problem) {
      const field = problem.field === "context" ? "context" : `context.${problem.field}`;
      throw new ValidationError(`${field}: ${problem.message}`, { field });
    }
    await deps.ensureNamespaceQueue(request.namespace);
    const slot = deps.localSteps?.()?.offer(request.namespace, template.name, template.version);
    let evaluation: CreatedTask["evaluation"];
    let claimed: readonly unknown[];
    try {
      ({ claimed, ...evaluation } = await deps.tasks.createTask(
        {
          task_uuid: taskUuid,
          named_task_uuid: namedTaskUuid,
          identity_hash: identityHash(namedTaskUuid, template.identityStrategy, request.context, request.idempotency_key),
          idempotency_key: request.idempotency_key,
          context: request.context,
          initiator: request.initiator,
          source_system: request.source_system,
          reason: request.reason,
          tags: request.tags,
          priority: request.priority,
          correlation_id: correlationId,
          parent_correlation_id: request.parent_correlation_id,
          trace_context: traceContext,
          initial_steps: templateGraph(template).initialStepNames(),
          ...(slot ? { take: slot.take } : {}),
        },
        deps.processId,
        traceContext,
      ));
    } catch (error) {
      slot?.run([]);
      if (sqlStateOf(error) === SqlState.uniqueViolation) throw new TaskConflictError({ cause: error });
      throw error;
    }
    deps.reporter.evaluation(evaluation, "task created", { operation: "initialize_task", total_steps: evaluation.total_steps }, performance.now() - started);
    // After the creation's events: the taken step's claim event follows its enqueue.
    slot?.run(claimed);
    return { taskUuid, correlationId, evaluation };
  }
}

export type CreateTask = ReturnType<typeof createTaskInitializer>;
