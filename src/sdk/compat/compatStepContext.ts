import type { StepContext as NativeContext } from "../stepContext.ts";
import { isRecord } from "../../lib/isRecord.ts";

/** One entry of `dependencyResults`, shaped as tasker-core stores it. */
export interface DependencyResult {
  result: unknown;
  success: boolean;
  status: string;
}

/**
 * tasker-core's `StepContext` (`@tasker-systems/tasker`), over this engine's context: the same
 * fields and accessors, with tasker-core's semantics (`retryCount` 0 on the first execution,
 * `getDependencyResult` null for a step that is not a completed ancestor).
 */
export class StepContext {
  readonly taskUuid: string;
  readonly stepUuid: string;
  readonly correlationId: string;
  readonly handlerName: string;
  /** The task context (the task's input). */
  readonly inputData: Record<string, unknown>;
  /** Every completed ancestor's result, by step name, as `{ result, success, status }`. */
  readonly dependencyResults: Record<string, DependencyResult>;
  /** The template's `handler.initialization` for this step. */
  readonly stepConfig: Record<string, unknown>;
  /** The step's inputs: the initialization, plus the cursor data of a batch step. */
  readonly stepInputs: Record<string, unknown>;
  /** Executions before this one (0 on the first), unchanged across checkpoint yields. */
  readonly retryCount: number;
  readonly maxRetries: number;
  /** The step's last checkpoint as stored (`cursor`, `items_processed`, `accumulated_results`, `timestamp`), or null. */
  readonly checkpoint: Record<string, unknown> | null;
  /** This engine's context, for what tasker-core's has no word for (`signal`, `log`, `trace`). */
  readonly native: NativeContext;

  constructor(native: NativeContext, handlerName: string) {
    this.native = native;
    this.taskUuid = native.task.uuid;
    this.stepUuid = native.step.uuid;
    this.correlationId = native.task.correlationId;
    this.handlerName = handlerName;
    this.inputData = native.context;
    this.dependencyResults = Object.fromEntries(
      Object.entries(native.dependencyResults).map(([name, result]) => [name, { result, success: true, status: "completed" }]),
    );
    this.stepConfig = native.step.inputs;
    this.stepInputs = native.step.inputs;
    this.retryCount = Math.max(0, native.step.attempt - 1);
    this.maxRetries = native.step.maxAttempts;
    const saved = native.step.checkpoint;
    this.checkpoint = saved
      ? { cursor: saved.cursor, items_processed: saved.itemsProcessed, accumulated_results: saved.accumulated, timestamp: saved.savedAt }
      : null;
  }

  /**
   * The step as tasker-core's worker received it (`TaskSequenceStep`): `task`, `workflow_step`
   * (`attempts` before this execution, `checkpoint` as stored, `inputs`...), `dependency_results`.
   * Handlers written against its raw event (`context.event?.workflow_step?.checkpoint`) read it here.
   */
  get event(): Record<string, unknown> {
    const { task, step } = this.native;
    return {
      task: {
        task_uuid: task.uuid,
        namespace: task.namespace,
        name: task.name,
        version: task.version,
        context: this.inputData,
        correlation_id: task.correlationId,
        parent_correlation_id: task.parentCorrelationId,
      },
      workflow_step: {
        workflow_step_uuid: step.uuid,
        task_uuid: task.uuid,
        name: step.name,
        template_step_name: step.templateStepName,
        attempts: this.retryCount,
        max_attempts: step.maxAttempts,
        inputs: this.stepInputs,
        checkpoint: this.checkpoint === null ? null : structuredClone(this.checkpoint),
      },
      dependency_results: this.dependencyResults,
      step_definition: { name: step.templateStepName, handler: { callable: this.handlerName, initialization: this.stepConfig } },
    };
  }

  /**
   * The step in the package's earlier shape: `initialization`, `inputs`, and a batch step's
   * `batch_config` (`batch_id`, `cursor_start`, `cursor_end`, `row_count`).
   */
  get step(): Record<string, unknown> {
    const cursor = this.stepInputs["cursor"];
    const batch = isRecord(cursor)
      ? { batch_id: cursor["batch_id"], cursor_start: cursor["start_cursor"], cursor_end: cursor["end_cursor"], row_count: cursor["batch_size"] }
      : undefined;
    return {
      name: this.native.step.name,
      template_step_name: this.native.step.templateStepName,
      initialization: this.stepConfig,
      inputs: this.stepInputs,
      ...(batch ? { batch_config: batch } : {}),
    };
  }

  getInput<T = unknown>(key: string): T | undefined {
    return this.inputData[key] as T | undefined;
  }

  getInputOr<T = unknown>(key: string, fallback: T): T {
    const value = this.inputData[key];
    return value === undefined || value === null ? fallback : (value as T);
  }

  getConfig<T = unknown>(key: string): T | undefined {
    return this.stepConfig[key] as T | undefined;
  }

  /** The named ancestor's result, or null when it is not a completed ancestor. */
  getDependencyResult(stepName: string): unknown {
    const entry = this.dependencyResults[stepName];
    if (entry === undefined) return null;
    return isRecord(entry) && "result" in entry ? entry.result : entry;
  }

  /** A field inside the named ancestor's result (`path` hops into objects and arrays); null when any hop is missing. */
  getDependencyField(stepName: string, ...path: Array<string | number>): unknown {
    let current: unknown = this.getDependencyResult(stepName);
    for (const key of path) {
      if (current === null || current === undefined || typeof current !== "object") return null;
      current = (current as Record<string | number, unknown>)[key];
    }
    return current ?? null;
  }

  /** The results of every ancestor whose name starts with `prefix` (a batch's workers). */
  getAllDependencyResults(prefix: string): unknown[] {
    return Object.keys(this.dependencyResults)
      .filter((name) => name.startsWith(prefix))
      .sort()
      .map((name) => this.getDependencyResult(name));
  }

  getDependencyResultKeys(): string[] {
    return Object.keys(this.dependencyResults);
  }

  isRetry(): boolean {
    return this.retryCount > 0;
  }

  isLastRetry(): boolean {
    return this.retryCount >= this.maxRetries - 1;
  }

  hasCheckpoint(): boolean {
    return this.checkpoint !== null && this.checkpoint["cursor"] !== undefined && this.checkpoint["cursor"] !== null;
  }

  get checkpointCursor(): unknown {
    return this.checkpoint?.["cursor"] ?? null;
  }

  get checkpointItemsProcessed(): number {
    const items = this.checkpoint?.["items_processed"];
    return typeof items === "number" ? items : 0;
  }

  /** The accumulated results saved with the last checkpoint (a fresh copy for each execution), or null. */
  get accumulatedResults(): Record<string, unknown> | null {
    const accumulated = this.checkpoint?.["accumulated_results"];
    return isRecord(accumulated) ? accumulated : null;
  }
}
