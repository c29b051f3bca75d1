/**
 * Entry of a handler thread (a Worker started by handlerThreadPool through the runtime). It imports handler
 * modules itself, builds `ctx` from the claimed step it is sent, runs one handler at a time and
 * posts back how it ended. Logs and span changes travel to the worker as messages; the heap size
 * is posted every HEAP_REPORT_MS so the pool can stop a handler that exhausts memory.
 * A second entry point of the compiled binary (package.json "build").
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { heapBytes, registerSdkModule } from "../../runtime/index.ts";
import type { StepHandler, StepSpan } from "../../sdk/stepContext.ts";
import type { StepHandlerClass } from "../../sdk/compat/stepHandler.ts";
import { asNativeHandler } from "../../sdk/compat/toNativeHandler.ts";
import { loggerOver, type Logger, type LogLevel } from "../../telemetry/logger.ts";
import { invokeHandler, stepFailure, type Invocation } from "../handlerInvocation.ts";
import { buildStepContext, type CheckpointSaver } from "../stepContextBuilder.ts";
import { currentThreadId } from "./threadFaults.ts";
import { fromWire, HEAP_REPORT_MS, toWire, type FromThread, type SpanOp, type ToThread, type Wire } from "./threadMessages.ts";

declare const self: {
  onmessage: ((event: MessageEvent<Wire<ToThread>>) => void) | null;
  postMessage(message: Wire<FromThread>): void;
};

function post(message: FromThread): void {
  try {
    self.postMessage(toWire(message));
  } catch {
    // A log field or span value that cannot be cloned: send what survives JSON instead.
    self.postMessage(JSON.parse(JSON.stringify(message, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))) as FromThread);
  }
}

const controllers = new Map<number, AbortController>();
/** ctx.checkpoint() calls waiting for the worker's answer, by request id. */
const pendingSaves = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
let nextRequestId = 1;

function saveThroughWorker(runId: number): CheckpointSaver {
  return (checkpoint) =>
    new Promise<void>((resolve, reject) => {
      const requestId = nextRequestId++;
      pendingSaves.set(requestId, { resolve, reject });
      post({ type: "checkpoint", runId, requestId, checkpoint });
    });
}
/** The ctx.trace span a call runs in, so nested ctx.trace calls nest their spans. */
const openSpan = new AsyncLocalStorage<number>();

function threadLogger(runId: number, levels: ReadonlySet<LogLevel>): Logger {
  return loggerOver(
    (level, message, fields) => post({ type: "log", runId, level, message, fields }),
    (level) => levels.has(level),
  );
}

function threadSpan(runId: number, spanId: number, recording: boolean): StepSpan {
  const change = (op: SpanOp): void => {
    if (recording) post({ type: "span", runId, spanId, change: op });
  };
  const span: StepSpan = {
    setAttribute(key, value) {
      change({ op: "attribute", key, value });
      return span;
    },
    addEvent(name, attributes) {
      change({ op: "event", name, attributes });
      return span;
    },
    isRecording: () => recording,
  };
  return span;
}

/** Handlers this thread imported, by module path and export (an import() per call costs more than the call). */
const loaded = new Map<string, StepHandler>();

async function loadHandler(message: Extract<ToThread, { type: "run" }>): Promise<StepHandler | Invocation> {
  const { modulePath, exportName, index, kind, method } = message;
  const key = `${modulePath}#${exportName}#${index ?? ""}#${kind}#${method ?? ""}`;
  const cached = loaded.get(key);
  if (cached) return cached;
  try {
    const exports = (await import(modulePath)) as Record<string, unknown>;
    const exported = exports[exportName];
    const fn: unknown = index === undefined ? exported : Array.isArray(exported) ? exported[index] : undefined;
    if (typeof fn !== "function") {
      return { ok: false, failure: stepFailure("handler_not_found", `${modulePath} no longer exports a function "${exportName}"`, false) };
    }
    const handler = kind === "class" ? asNativeHandler(fn as StepHandlerClass, method) : (fn as StepHandler);
    loaded.set(key, handler);
    return handler;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, failure: stepFailure("handler_not_found", `failed to import ${modulePath} in the handler thread: ${message}`, false) };
  }
}

async function run(message: Extract<ToThread, { type: "run" }>): Promise<void> {
  const { runId, recording } = message;
  const controller = new AbortController();
  controllers.set(runId, controller);
  let nextSpanId = 1;
  const trace = async <T>(name: string, fn: (span: StepSpan) => T | Promise<T>): Promise<T> => {
    const spanId = nextSpanId++;
    if (recording) post({ type: "spanStart", runId, spanId, parentSpanId: openSpan.getStore() ?? 0, name });
    try {
      const value = await openSpan.run(spanId, () => fn(threadSpan(runId, spanId, recording)));
      if (recording) post({ type: "spanEnd", runId, spanId, error: undefined });
      return value;
    } catch (error) {
      if (recording) post({ type: "spanEnd", runId, spanId, error: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  };
  const log = threadLogger(runId, new Set(message.logLevels));
  const ctx = buildStepContext(message.claimed, controller.signal, log, { span: threadSpan(runId, 0, recording), trace }, saveThroughWorker(runId));
  const handler = await loadHandler(message);
  const invocation = typeof handler === "function" ? await invokeHandler(handler, ctx, message.maxResultBytes) : handler;
  controllers.delete(runId);
  post({ type: "result", runId, invocation, heapBytes: heapBytes() });
}

registerSdkModule();
self.onmessage = (event) => {
  const message = fromWire(event.data);
  if (message.type === "run") void run(message);
  else if (message.type === "checkpointSaved") {
    const pending = pendingSaves.get(message.requestId);
    pendingSaves.delete(message.requestId);
    if (message.error === undefined) pending?.resolve();
    else pending?.reject(new Error(message.error));
  } else controllers.get(message.runId)?.abort(new Error(message.reason));
};
const tid = currentThreadId();
post({ type: "heap", heapBytes: heapBytes(), tid });
setInterval(() => post({ type: "heap", heapBytes: heapBytes(), tid }), HEAP_REPORT_MS);
