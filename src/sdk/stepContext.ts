import type { Logger } from "../telemetry/logger.ts";
import type { CheckpointProgress, StepCheckpoint, StepYield } from "./stepProgress.ts";

/** The task a step belongs to. */
export interface StepTaskInfo {
  readonly uuid: string;
  readonly namespace: string;
  /** The template name. */
  readonly name: string;
  readonly version: string;
  /** The task context (the JSON object the task was created with). */
  readonly context: Readonly<Record<string, unknown>>;
  readonly correlationId: string;
  readonly parentCorrelationId: string | null;
}

/** The step being executed. */
export interface StepInfo {
  readonly uuid: string;
  readonly name: string;
  /** This execution's attempt number, starting at 1. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /**
   * The template's `handler.initialization` for this step; a batch worker also finds its
   * `cursor`, `batch_metadata` and `is_no_op` here.
   */
  readonly inputs: Readonly<Record<string, unknown>>;
  /** The template step this one was made from: a batch worker's `batch_worker` step, else `name`. */
  readonly templateStepName: string;
  /** The last progress saved by `ctx.checkpoint()` or `ctx.yield()` (this or an earlier attempt), or null. */
  readonly checkpoint: StepCheckpoint | null;
}

/** A span a handler can annotate; a no-op when tracing is off. Structurally an OpenTelemetry Span. */
export interface StepSpan {
  setAttribute(key: string, value: string | number | boolean): this;
  addEvent(name: string, attributes?: Record<string, string | number | boolean>): this;
  isRecording(): boolean;
}

/** What a handler receives for one execution of one step. */
export interface StepContext {
  readonly task: StepTaskInfo;
  /** Same as `task.context`. */
  readonly context: Readonly<Record<string, unknown>>;
  readonly step: StepInfo;
  /**
   * The value the handler of the named ancestor step returned. Throws when that step is
   * not a completed ancestor of this one (a template mistake, not a transient condition).
   */
  getDependencyResult<T = unknown>(stepName: string): T;
  /** The results of every completed ancestor step, by step name. */
  readonly dependencyResults: Readonly<Record<string, unknown>>;
  /** Aborted when the step times out or the worker shuts down; pass it to fetch, queries, timers. */
  readonly signal: AbortSignal;
  /** A logger bound to the correlation id, task and step (and trace_id/span_id when tracing). */
  readonly log: Logger;
  /** The span of this execution (`worker.handler`); a no-op when tracing is off. */
  readonly span: StepSpan;
  /** Runs `fn` in a child span of this execution, for the handler's own work. */
  trace<T>(name: string, fn: (span: StepSpan) => T | Promise<T>): Promise<T>;
  /**
   * Saves progress now, atomically with a renewal of the step's lease: a retry after a failure
   * or a crash of this worker starts from it (`ctx.step.checkpoint`). Rejects when this attempt
   * no longer holds the step (it was taken over) or the database cannot be reached.
   */
  checkpoint(progress: CheckpointProgress): Promise<void>;
  /**
   * `return ctx.yield(progress)`: saves the progress (when given) and runs the step again at once,
   * in the same attempt, with it on `ctx.step.checkpoint`, with a fresh timeout. For work longer
   * than one timeout, in slices.
   */
  yield(progress?: CheckpointProgress): StepYield;
}

/** A step handler: `export default async function (ctx: StepContext) { return result }`. The result must be JSON. */
export type StepHandler = (ctx: StepContext) => unknown;
