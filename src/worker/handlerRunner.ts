import type { StepContext, StepHandler, StepSpan } from "../sdk/stepContext.ts";
import type { Logger } from "../telemetry/logger.ts";
import { invokeHandler, type Invocation } from "./handlerInvocation.ts";
import { buildStepContext, type CheckpointSaver } from "./stepContextBuilder.ts";
import type { ClaimedStep } from "./stepRepository.ts";

/** A step's handler as resolved at start: the function, and where a handler thread finds it again. */
export interface ResolvedHandler {
  callable: string;
  fn: StepHandler;
  /** Canonical path of the module that exports it. */
  modulePath: string;
  /** `default`, or the callable for a named export. */
  exportName: string;
  /** Its position in an exported array of handler classes, when it came from one. */
  index?: number;
  /** `class`: a tasker-core handler class, wrapped (a handler thread wraps it again); default `function`. */
  kind?: "function" | "class";
  /** The class method to run (`handler.method`); null or absent for `call`. */
  method?: string | null;
}

/** The span side of `ctx` in the worker's realm: the execution span and its child-span helper. */
export interface HandlerTracing {
  span: StepSpan;
  trace: StepContext["trace"];
  /** Opens a child of `parent` (the execution span or one opened here) for a span a handler thread reports. */
  openChild(name: string, parent: StepSpan): OpenedSpan;
}

export interface OpenedSpan {
  span: StepSpan;
  /** Ends the span; an error message marks it failed. */
  end(error?: string): void;
}

export interface HandlerJob {
  claimed: ClaimedStep;
  handler: ResolvedHandler;
  maxResultBytes: number;
  /** The step's logger; what the handler logs goes here. */
  log: Logger;
  tracing: HandlerTracing | undefined;
  /** ctx.checkpoint(): saves the running attempt's progress (fenced), in the worker's realm. */
  saveCheckpoint: CheckpointSaver;
}

/** A handler call under way. */
export interface RunningHandler {
  /** Settles once with how the call ended; never rejects. */
  readonly done: Promise<Invocation>;
  /** The step timed out or the worker is stopping: abort `ctx.signal`, and stop the call if it can be stopped. */
  abort(reason: Error): void;
}

/** Where handlers run: in the worker's own event loop (`none`) or in handler threads (`thread`). */
export interface HandlerRunner {
  readonly isolation: "none" | "thread";
  run(job: HandlerJob): RunningHandler;
  /** Stops every handler still running and releases threads. */
  close(): Promise<void>;
  /** Handler threads alive and how many of them run a call (0 and 0 inline). */
  stats(): { threads: number; busy: number };
  /** Makes sure handlers can run (a handler thread starts and answers); rejects with why not. */
  warmUp(): Promise<void>;
}

const noopSpan: StepSpan = {
  setAttribute() {
    return this;
  },
  addEvent() {
    return this;
  },
  isRecording: () => false,
};

/** ctx.span / ctx.trace when tracing is off. */
export const noopTracing: HandlerTracing = {
  span: noopSpan,
  trace: async <T>(_name: string, fn: (span: StepSpan) => T | Promise<T>) => fn(noopSpan),
  openChild: () => ({ span: noopSpan, end: () => {} }),
};

/**
 * Runs handlers in the worker's event loop: no overhead and shared module state, but a handler
 * that blocks the loop or exhausts memory takes the worker process down with it
 * (worker.handler_isolation = "none", for trusted handlers).
 */
export function createInlineRunner(): HandlerRunner {
  return {
    isolation: "none",
    run(job) {
      const controller = new AbortController();
      const ctx = buildStepContext(job.claimed, controller.signal, job.log, job.tracing ?? noopTracing, job.saveCheckpoint);
      return { done: invokeHandler(job.handler.fn, ctx, job.maxResultBytes), abort: (reason) => controller.abort(reason) };
    },
    close: async () => {},
    stats: () => ({ threads: 0, busy: 0 }),
    warmUp: async () => {},
  };
}
