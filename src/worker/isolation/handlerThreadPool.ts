import { TaskerError, toError } from "../../lib/errors.ts";
import { startHandlerThread } from "../../runtime/index.ts";
import type { StepSpan } from "../../sdk/stepContext.ts";
import { LOG_LEVELS, type Logger } from "../../telemetry/logger.ts";
import type { TaskerMetrics } from "../../telemetry/taskerMetrics.ts";
import { stepFailure, type Invocation } from "../handlerInvocation.ts";
import { noopTracing, type HandlerJob, type HandlerRunner, type OpenedSpan, type RunningHandler } from "../handlerRunner.ts";
import type { StepFailure } from "../stepFailure.ts";
import { chargeGrowth, estimateThreadBytes, newMeter, recordHeapReport, type ThreadMeter } from "./memoryAttribution.ts";
import { bytesPerFault, minorFaults, processMinorFaults } from "./threadFaults.ts";
import { fromWire, HEAP_REPORT_MS, toWire, type FromThread, type ToThread, type Wire } from "./threadMessages.ts";

export interface HandlerThreadPoolOptions {
  /** Idle threads kept for reuse (worker.max_concurrent_steps); more start when all are busy. */
  maxIdle: number;
  /** A thread holding more than this is stopped and its step fails `memory_limit_exceeded`. */
  maxMemoryBytes: number;
  /** After a timeout or shutdown abort, how long a handler may take to return before its thread is stopped. */
  abortGraceMs: number;
  /** Idle threads beyond the most recent one are stopped after this long without work (default 30 s). */
  idleRetireMs?: number;
  /** Thread count and stops by reason; nothing is recorded without it. */
  metrics?: Pick<TaskerMetrics, "handlerThreads" | "handlerThreadStops">;
  /** Starts a handler thread (default: the runtime's handler thread entry); tests pass a broken one. */
  startThread?: (name: string) => Worker;
  logger: Logger;
}

interface Run {
  runId: number;
  job: HandlerJob;
  settled: boolean;
  settle(invocation: Invocation): void;
  /** ctx.trace spans the thread opened, by its span id (0 is the execution span). */
  spans: Map<number, OpenedSpan>;
  graceTimer: ReturnType<typeof setTimeout> | undefined;
}

interface Slot {
  id: number;
  thread: Worker;
  stopping: boolean;
  run: Run | undefined;
  /** When it last finished a call (performance.now()), for retiring idle threads. */
  idleSince: number;
  memory: ThreadMeter;
  /** Kernel thread id, once the thread reported it (Linux). */
  tid: number | undefined;
}

/** Reports later than this mean the thread's event loop is blocked. */
const STALE_AFTER_MS = 3 * HEAP_REPORT_MS;
const IDLE_RETIRE_MS = 30_000;
const MIB = 1024 * 1024;

/**
 * The message of an error that escaped a handler thread. Bun's ErrorEvent.message is the
 * printed error (a source excerpt, then `error: <message>`, then the stack): keep the message.
 */
export function describeThreadError(event: Pick<ErrorEvent, "message" | "error">): string {
  if (event.error instanceof Error) return event.error.message;
  const text = event.message || toError(event.error).message;
  // Deno's is `Uncaught Error: <message>` or `Uncaught (in promise) Error: <message>`.
  const line = /^(?:Uncaught (?:\(in promise\) )?)?(?:error|[A-Za-z]*Error): (.+)$/m.exec(text);
  return line?.[1] ?? (text.split("\n").find((l) => l.trim() !== "") ?? "unknown error");
}

const crashed = (message: string): StepFailure => stepFailure("handler_crashed", message, true);

/**
 * Runs each handler call in a handler thread (worker.handler_isolation = "thread"): a Worker of the runtime (Bun or Deno)
 * with its own event loop and heap, one call at a time. A handler that never yields is stopped
 * when its abort grace passes after the timeout; one whose thread grows past maxMemoryBytes is
 * stopped at once (`memory_limit_exceeded`); one that crashes its thread (an uncaught error in a
 * callback, `process.exit`) fails `handler_crashed`. Each is a failure of that step only: the
 * worker's event loop, its other steps and its heartbeat go on, and a fresh thread takes the slot.
 */
export function createHandlerThreadPool(options: HandlerThreadPoolOptions): HandlerRunner {
  const { logger } = options;
  const slots = new Set<Slot>();
  const idle: Slot[] = [];
  let nextSlotId = 1;
  let nextRunId = 1;
  let closed = false;
  const rss = (): number => process.memoryUsage.rss();

  const settleRun = (run: Run, invocation: Invocation): void => {
    if (run.settled) return;
    run.settled = true;
    clearTimeout(run.graceTimer);
    for (const [spanId, opened] of run.spans) if (spanId !== 0) opened.end("the handler's thread ended before this span");
    run.settle(invocation);
  };

  /** Terminates a thread and forgets it. */
  const retire = (slot: Slot): void => {
    slot.stopping = true;
    if (slots.delete(slot)) options.metrics?.handlerThreads.add(-1);
    const at = idle.indexOf(slot);
    if (at >= 0) idle.splice(at, 1);
    void slot.thread.terminate();
  };

  /** Stops a thread because of its handler (or shutdown): its call, if any, ends with `failure`. */
  const stop = (slot: Slot, failure: StepFailure): void => {
    if (slot.stopping) return;
    retire(slot);
    if (failure.errorType !== "worker_shutdown") options.metrics?.handlerThreadStops.add(1, { reason: failure.errorType });
    if (slot.run) settleRun(slot.run, { ok: false, failure });
    slot.run = undefined;
  };

  const release = (slot: Slot): void => {
    slot.run = undefined;
    if (closed || idle.length >= options.maxIdle) {
      retire(slot);
    } else {
      slot.idleSince = performance.now();
      idle.push(slot);
    }
  };

  const onMessage = (slot: Slot, message: FromThread): void => {
    if (message.type === "heap" || message.type === "result") recordHeapReport(slot.memory, message.heapBytes, performance.now());
    if (message.type === "heap") {
      slot.tid ??= message.tid;
      return;
    }
    const run = slot.run;
    const current = run !== undefined && run.runId === message.runId;
    switch (message.type) {
      case "result":
        if (current) {
          settleRun(run, message.invocation);
          release(slot);
        }
        return;
      case "log":
        if (current) run.job.log[message.level](message.message, message.fields);
        else logger[message.level](message.message, { ...message.fields, after_step_ended: true });
        return;
      case "span":
      case "spanStart":
      case "spanEnd":
        if (current) relaySpan(run, message);
        return;
      case "checkpoint": {
        const answer = (error: string | undefined): void => {
          if (!slot.stopping) slot.thread.postMessage({ type: "checkpointSaved", runId: message.runId, requestId: message.requestId, error } satisfies ToThread);
        };
        if (!current) {
          answer("the step's execution has ended");
          return;
        }
        run.job.saveCheckpoint(message.checkpoint).then(
          () => answer(undefined),
          (error: unknown) => answer(toError(error).message),
        );
        return;
      }
    }
  };

  const relaySpan = (run: Run, message: Extract<FromThread, { type: "span" | "spanStart" | "spanEnd" }>): void => {
    const tracing = run.job.tracing ?? noopTracing;
    if (message.type === "spanStart") {
      const parent: StepSpan = run.spans.get(message.parentSpanId)?.span ?? tracing.span;
      run.spans.set(message.spanId, tracing.openChild(message.name, parent));
      return;
    }
    const opened = run.spans.get(message.spanId);
    if (!opened) return;
    if (message.type === "spanEnd") {
      opened.end(message.error);
      run.spans.delete(message.spanId);
    } else if (message.change.op === "attribute") {
      opened.span.setAttribute(message.change.key, message.change.value);
    } else {
      opened.span.addEvent(message.change.name, message.change.attributes);
    }
  };

  const spawn = (): Slot => {
    const id = nextSlotId++;
    const thread = (options.startThread ?? startHandlerThread)(`tasker-handler-${id}`);
    const slot: Slot = { id, thread, stopping: false, run: undefined, idleSince: performance.now(), memory: newMeter(performance.now()), tid: undefined };
    thread.addEventListener("message", (event: MessageEvent<Wire<FromThread>>) => onMessage(slot, fromWire(event.data)));
    thread.addEventListener("error", (event: ErrorEvent) => {
      event.preventDefault();
      const message = describeThreadError(event);
      logger.error("a handler crashed its thread; the thread is replaced", { thread: id, error: message, ...stepFields(slot) });
      stop(slot, crashed(`the handler crashed its thread: ${message}`));
    });
    thread.addEventListener("close", (event: Event) => {
      if (slot.stopping) return;
      const code = (event as CloseEvent).code;
      logger.error("a handler ended its thread; the thread is replaced", { thread: id, exit_code: code, ...stepFields(slot) });
      stop(slot, crashed(`the handler ended its thread (exit code ${code}), e.g. by calling process.exit()`));
    });
    slots.add(slot);
    options.metrics?.handlerThreads.add(1);
    return slot;
  };

  const stepFields = (slot: Slot) =>
    slot.run ? { step_uuid: slot.run.job.claimed.step.step_uuid, step_name: slot.run.job.claimed.step.name } : {};

  let lastRss = rss();
  let lastProcessFaults: number | undefined;
  let lastWatchAt = performance.now();
  let skippedLateTick = false;
  const faultBytes = bytesPerFault();
  /** Stops idle threads beyond the most recent one once they have had no work for idleRetireMs. */
  const retireIdle = (now: number): void => {
    while (idle.length > 1 && now - (idle[0]?.idleSince ?? now) > (options.idleRetireMs ?? IDLE_RETIRE_MS)) {
      const oldest = idle[0];
      if (!oldest) break;
      retire(oldest);
    }
  };
  /** Charges the process's growth to threads (see memoryAttribution) and stops those over the limit. */
  const watchMemory = (): void => {
    const startedAt = performance.now();
    // A tick this late means the worker's own loop was held up: the threads' heap reports may
    // still wait in its queue, so a thread is not judged blocked on this tick (once in a row).
    const late = startedAt - lastWatchAt > STALE_AFTER_MS && !skippedLateTick;
    lastWatchAt = startedAt;
    skippedLateTick = late;
    retireIdle(startedAt);
    const rssNow = rss();
    const growth = rssNow - lastRss;
    lastRss = rssNow;
    if (slots.size === 0) return;
    const watched = [...slots];
    if (watched.every((slot) => slot.run === undefined)) {
      // Nothing runs: idle threads report their heaps; page faults start again from the next call.
      for (const slot of watched) slot.memory.faults = undefined;
      lastProcessFaults = undefined;
    } else {
      const processFaults = processMinorFaults();
      chargeGrowth(
        watched.map((slot) => slot.memory),
        watched.map((slot) => (slot.tid === undefined ? undefined : minorFaults(slot.tid))),
        {
          rssGrowth: growth,
          faults: processFaults === undefined ? undefined : processFaults - (lastProcessFaults ?? processFaults),
          bytesPerFault: faultBytes,
        },
      );
      lastProcessFaults = processFaults;
    }
    if (late) return;
    const now = performance.now();
    for (const slot of watched) {
      const bytes = estimateThreadBytes(slot.memory, now, STALE_AFTER_MS);
      if (bytes <= options.maxMemoryBytes) continue;
      const usedMiB = Math.round(bytes / MIB);
      const limitMiB = Math.round(options.maxMemoryBytes / MIB);
      logger.error("a handler exceeded the memory limit; its thread is stopped", {
        thread: slot.id,
        used_mib: usedMiB,
        limit_mib: limitMiB,
        ...stepFields(slot),
      });
      stop(
        slot,
        stepFailure(
          "memory_limit_exceeded",
          `the handler used about ${usedMiB} MiB, over the limit of ${limitMiB} MiB (worker.handler_max_memory_mb); its thread was stopped`,
          true,
        ),
      );
    }
  };
  const watchdog = setInterval(watchMemory, HEAP_REPORT_MS);
  watchdog.unref();

  return {
    isolation: "thread",
    run(job): RunningHandler {
      if (closed) return { done: Promise.resolve({ ok: false, failure: stepFailure("worker_shutdown", "the worker is shutting down", true) }), abort: () => {} };
      const slot = idle.pop() ?? spawn();
      let settle!: (invocation: Invocation) => void;
      const done = new Promise<Invocation>((resolve) => (settle = resolve));
      const tracing = job.tracing ?? noopTracing;
      const run: Run = { runId: nextRunId++, job, settled: false, settle, spans: new Map([[0, { span: tracing.span, end: () => {} }]]), graceTimer: undefined };
      slot.run = run;
      const message: ToThread = {
        type: "run",
        runId: run.runId,
        modulePath: job.handler.modulePath,
        exportName: job.handler.exportName,
        index: job.handler.index,
        kind: job.handler.kind ?? "function",
        method: job.handler.method ?? null,
        claimed: job.claimed,
        maxResultBytes: job.maxResultBytes,
        logLevels: LOG_LEVELS.filter((level) => job.log.isLevelEnabled(level)),
        recording: tracing.span.isRecording(),
      };
      slot.thread.postMessage(toWire(message));
      return {
        done,
        abort(reason) {
          if (run.settled || slot.run !== run) return;
          slot.thread.postMessage({ type: "abort", runId: run.runId, reason: reason.message } satisfies ToThread);
          run.graceTimer = setTimeout(() => {
            if (slot.run !== run) return;
            logger.warn("a handler did not return after its abort; its thread is stopped", { thread: slot.id, ...stepFields(slot), grace_ms: options.abortGraceMs });
            stop(slot, stepFailure("handler_stopped", `the handler did not return within ${options.abortGraceMs} ms of its abort (${reason.message})`, true));
          }, options.abortGraceMs);
        },
      };
    },
    stats: () => ({ threads: slots.size, busy: slots.size - idle.length }),
    /** Starts one thread and waits for its first report: a worker whose threads cannot start refuses to start. */
    async warmUp(timeoutMs = 10_000) {
      const slot = spawn();
      await new Promise<void>((resolve, reject) => {
        const fail = (why: string) => {
          clearTimeout(timer);
          stop(slot, crashed(why));
          reject(new TaskerError("HANDLER_THREAD_FAILED", `a handler thread could not start: ${why}`));
        };
        const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
        slot.thread.addEventListener("message", () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
        slot.thread.addEventListener("error", (event: ErrorEvent) => fail(describeThreadError(event)), { once: true });
      });
      release(slot);
    },
    close() {
      closed = true;
      clearInterval(watchdog);
      for (const slot of [...slots]) stop(slot, stepFailure("worker_shutdown", "the worker is shutting down", true));
      return Promise.resolve();
    },
  };
}
