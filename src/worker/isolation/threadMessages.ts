import type { LogFields, LogLevel } from "../../telemetry/logger.ts";
import type { Invocation } from "../handlerInvocation.ts";
import type { CheckpointInput, ClaimedStep } from "../stepRepository.ts";

/** How often a handler thread posts its heap size. */
export const HEAP_REPORT_MS = 100;

/**
 * What the worker and a handler thread say to each other (structured-clone data only).
 * One thread runs one step at a time; `runId` tells a late message of an earlier run apart.
 * The two messages of every step, `run` and `result`, travel as JSON text (toWire): both are
 * JSON already (a claimed step read from jsonb, a result checked by invokeHandler), and posting
 * a string is cheaper than cloning the object (Bun 1.4.5: a bare round trip of a claimed step's
 * size 11 against 27 us of CPU; a whole no-op call through the pool about a fifth less).
 */
export type ToThread =
  | {
      type: "run";
      runId: number;
      modulePath: string;
      exportName: string;
      /** Position in an exported array of handler classes. */
      index: number | undefined;
      /** `class`: a tasker-core handler class, run through its method. */
      kind: "function" | "class";
      method: string | null;
      claimed: ClaimedStep;
      maxResultBytes: number;
      /** Log levels the worker writes; the thread does not post the others. */
      logLevels: LogLevel[];
      /** ctx.span.isRecording(). */
      recording: boolean;
    }
  | { type: "abort"; runId: number; reason: string }
  /** The answer to a `checkpoint` request: saved, or why not. */
  | { type: "checkpointSaved"; runId: number; requestId: number; error: string | undefined };

/** Span 0 is the execution's own span (worker.handler); ctx.trace opens 1, 2, ... */
export type SpanOp =
  | { op: "attribute"; key: string; value: string | number | boolean }
  | { op: "event"; name: string; attributes: Record<string, string | number | boolean> | undefined };

export type FromThread =
  | { type: "result"; runId: number; invocation: Invocation; heapBytes: number }
  /** Every HEAP_REPORT_MS while the thread's event loop runs; `tid` is its kernel thread id. */
  | { type: "heap"; heapBytes: number; tid: number | undefined }
  | { type: "log"; runId: number; level: LogLevel; message: string; fields: LogFields | undefined }
  | { type: "span"; runId: number; spanId: number; change: SpanOp }
  | { type: "spanStart"; runId: number; spanId: number; parentSpanId: number; name: string }
  | { type: "spanEnd"; runId: number; spanId: number; error: string | undefined }
  /** ctx.checkpoint() in the thread: the worker saves it and answers `checkpointSaved`. */
  | { type: "checkpoint"; runId: number; requestId: number; checkpoint: CheckpointInput };

/** A message as it is posted: `run` and `result` as JSON text, the rest as objects. */
export type Wire<T> = T | string;

/** JSON text for the per-step messages, the object otherwise (logs may carry what JSON cannot). */
export function toWire<T extends { type: string }>(message: T): Wire<T> {
  return message.type === "run" || message.type === "result" ? JSON.stringify(message) : message;
}

export function fromWire<T>(data: Wire<T>): T {
  return typeof data === "string" ? (JSON.parse(data) as T) : data;
}
