import * as v from "valibot";
import { SqlState, sqlStateOf } from "../db/sqlState.ts";
import { TaskerError, ValidationError } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { validateTaskContext } from "../templates/validateTaskContext.ts";
import type { Logger } from "../telemetry/logger.ts";
import { identityHash } from "./identityHash.ts";
import { logTaskEvaluation } from "./logTaskEvaluation.ts";
import type { TaskEvaluation } from "./taskEvaluation.ts";
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

export interface TaskInitializerDeps {
  tasks: TaskRepository;
  templates: TemplateRepository;
  processId: string;
  logger: Logger;
  /** Makes sure the namespace's worker queue exists before the first enqueue. */
  ensureNamespaceQueue: (namespace: string) => Promise<void>;
}

/**
 * Validates a TaskRequest (shape, template, input_schema, identity), then creates
 * the task with its steps and enqueues the root steps in one transaction.
 * Throws ValidationError (400), TemplateNotFoundError (404) or TaskConflictError (409).
 */
export function createTaskInitializer(deps: TaskInitializerDeps) {
  return async function createTask(input: unknown, traceContext: Record<string, string> | null = null): Promise<CreatedTask> {
    const parsed = v.safeParse(TaskRequestSchema, input);
    if (!parsed.success) {
      const { field, message } = describeRequestIssue(parsed.issues);
      throw new ValidationError(message, { field });
    }
    const request = parsed.output;
    const { namedTaskUuid, template } = await deps.templates.find(request.namespace, request.name, request.version);
    const [problem] = validateTaskContext(template, request.context);
    if (problem) {
      const field = problem.field === "context" ? "context" : `context.${problem.field}`;
      throw new ValidationError(`${field}: ${problem.message}`, { field });
    }
    const taskUuid = newId();
    const correlationId = request.correlation_id ?? newId();
    await deps.ensureNamespaceQueue(request.namespace);
    let evaluation: CreatedTask["evaluation"];
    try {
      evaluation = await deps.tasks.createTask(
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
        },
        deps.processId,
        traceContext,
      );
    } catch (error) {
      if (sqlStateOf(error) === SqlState.uniqueViolation) throw new TaskConflictError({ cause: error });
      throw error;
    }
    logTaskEvaluation(deps.logger, evaluation, "task created", { operation: "initialize_task", total_steps: evaluation.total_steps });
    return { taskUuid, correlationId, evaluation };
  };
}

export type CreateTask = ReturnType<typeof createTaskInitializer>;
