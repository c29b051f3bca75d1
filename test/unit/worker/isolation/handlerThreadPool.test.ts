/**
 * Handler threads: each misbehaving handler ends as a failure of its own step, the thread that
 * ran it is replaced, and the next call on the same pool works. Handler modules are files on
 * disk, imported by the thread itself (with the `tasker` SDK module registered there).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger, type LogFields } from "../../../../src/telemetry/logger.ts";
import type { TaskerMetrics } from "../../../../src/telemetry/taskerMetrics.ts";
import type { HandlerRunner, HandlerTracing, OpenedSpan } from "../../../../src/worker/handlerRunner.ts";
import { createHandlerThreadPool } from "../../../../src/worker/isolation/handlerThreadPool.ts";
import { executeStep } from "../../../../src/worker/stepExecutor.ts";
import type { StepSpan } from "../../../../src/sdk/stepContext.ts";
import { claimedStep } from "../../../support/claimedStep.ts";
import { writeTree, type TempTree } from "../../templates/writeTree.ts";

const HANDLERS = `
import { PermanentError } from "tasker";
export async function ok(ctx) {
  ctx.log.info("hello from the thread", { n: 1 });
  return { attempt: ctx.step.attempt, ctx: ctx.context, dep: ctx.getDependencyResult("parent") };
}
export function permanent() { throw new PermanentError("declined", { errorType: "card_declined", metadata: { f: () => 1, code: 7 } }); }
export function spin() { let n = 0; for (;;) n = (n + 1) % 7; }
export function hoard() { const a = []; for (let i = 0; ; i++) a.push({ i, pad: "x".repeat(40) + i }); }
export async function hoardAsync() { const a = []; for (;;) { a.push(new Array(20000).fill(0).map((_, i) => ({ i }))); await new Promise((r) => setTimeout(r, 0)); } }
export function exit() { process.exit(5); }
export function throwLater() { setTimeout(() => { throw new Error("late"); }, 5); return new Promise(() => {}); }
export async function cooperative(ctx) { await new Promise((r) => ctx.signal.addEventListener("abort", r)); return { stopped: true }; }
export async function traced(ctx) {
  ctx.span.setAttribute("a", 1);
  return ctx.trace("outer", async (outer) => {
    outer.addEvent("e1");
    return ctx.trace("inner", async (inner) => { inner.setAttribute("b", "x"); return { spans: 2 }; });
  });
}
`;

let tree: TempTree;
let pool: HandlerRunner;
const lines: LogFields[] = [];
const logger = createLogger({ level: "info", format: "json", write: (line) => lines.push(JSON.parse(line) as LogFields) });

/** What the pool records in tasker_handler_threads and tasker_handler_thread_stops_total. */
const recorded = { threads: 0, stops: [] as string[] };
const metrics = {
  handlerThreads: { add: (n: number) => void (recorded.threads += n) },
  handlerThreadStops: { add: (_n: number, attributes?: Record<string, unknown>) => void recorded.stops.push(String(attributes?.["reason"])) },
} as unknown as Pick<TaskerMetrics, "handlerThreads" | "handlerThreadStops">;

beforeAll(() => {
  tree = writeTree({ "ns/steps.ts": HANDLERS });
  pool = createHandlerThreadPool({ maxIdle: 3, maxMemoryBytes: 96 * 1024 * 1024, abortGraceMs: 200, idleRetireMs: 300, logger, metrics });
});
afterAll(async () => {
  await pool.close();
  tree.remove();
});


const run = (exportName: string, timeoutMs = 5_000, tracing?: HandlerTracing) =>
  executeStep({
    claimed: claimedStep({ name: exportName, attempt: 2, context: { order: 9 }, dependencyResults: { parent: { v: 1 } } }),
    handler: { callable: exportName, fn: () => null, modulePath: tree.path("ns/steps.ts"), exportName },
    runner: pool,
    timeoutMs,
    shutdownSignal: new AbortController().signal,
    workerId: "w",
    hostname: "h",
    logger: logger.child({ step_name: exportName }),
    ...(tracing ? { tracing } : {}),
  });

describe("handler threads", () => {
  test("a_handler_gets_its_context_and_logs_through_the_worker_logger", async () => {
    const { result, outcome } = await run("ok");
    expect(outcome).toBe("success");
    expect(result.result).toEqual({ attempt: 2, ctx: { order: 9 }, dep: { v: 1 } });
    expect(lines.find((l) => l["msg"] === "hello from the thread")).toMatchObject({ n: 1, step_name: "ok", level: "info" });
  });

  test("sdk_errors_thrown_in_the_thread_keep_their_class_and_json_metadata", async () => {
    const { result } = await run("permanent");
    expect(result.error).toMatchObject({ error_type: "card_declined", retryable: false, message: "declined" });
    expect(result.metadata["custom"]).toEqual({ code: 7 });
  });

  test("a_tight_loop_times_out_its_thread_is_stopped_and_the_pool_still_works", async () => {
    const { result, outcome } = await run("spin", 300);
    expect(outcome).toBe("timeout");
    expect(result.error?.message).toContain("did not finish within 300 ms");
    await Bun.sleep(400); // the abort grace passes; the thread is stopped
    expect(lines.map((l) => l["msg"])).toContain("a handler did not return after its abort; its thread is stopped");
    expect((await run("ok")).outcome).toBe("success");
  });

  test("a_handler_that_returns_after_its_abort_keeps_its_thread", async () => {
    const before = lines.length;
    expect((await run("cooperative", 100)).outcome).toBe("timeout");
    await Bun.sleep(300);
    expect(lines.slice(before).filter((l) => String(l["msg"]).includes("its thread is stopped"))).toEqual([]);
  });

  test.each(["hoard", "hoardAsync"])("%s_over_the_memory_limit_is_a_memory_limit_exceeded_failure", async (name) => {
    const { result, outcome } = await run(name, 20_000);
    expect(outcome).toBe("failure");
    expect(result.error).toMatchObject({ error_type: "memory_limit_exceeded", retryable: true });
    expect(result.error?.message).toContain("over the limit of 96 MiB (worker.handler_max_memory_mb)");
    expect((await run("ok")).outcome).toBe("success");
  });

  test("a_blocked_loop_that_does_not_allocate_is_not_charged_with_another_threads_memory", async () => {
    const spinning = run("spin", 1_500);
    await Bun.sleep(100);
    const hoarding = await run("hoard", 20_000);
    expect(hoarding.result.error?.error_type).toBe("memory_limit_exceeded");
    expect((await spinning).outcome).toBe("timeout");
  });

  test("process_exit_and_an_uncaught_error_crash_only_their_own_thread", async () => {
    const exited = await run("exit");
    expect(exited.result.error).toMatchObject({ error_type: "handler_crashed", retryable: true });
    expect(exited.result.error?.message).toContain("exit code 5");
    const late = await run("throwLater");
    expect(late.result.error?.error_type).toBe("handler_crashed");
    expect(late.result.error?.message).toBe("the handler crashed its thread: late");
    expect((await run("ok")).outcome).toBe("success");
  });

  test("threads_are_reused_kept_up_to_max_idle_and_retired_down_to_one_when_idle", async () => {
    await Bun.sleep(400); // an earlier test's spinning thread is stopped when its abort grace ends
    await Promise.all(Array.from({ length: 5 }, () => run("ok")));
    expect(pool.stats()).toEqual({ threads: 3, busy: 0 });
    await Bun.sleep(600);
    expect(pool.stats()).toEqual({ threads: 1, busy: 0 });
    expect((await run("ok")).outcome).toBe("success");
    // The metrics followed every start, stop and retirement.
    expect(recorded.threads).toBe(pool.stats().threads);
    expect(new Set(recorded.stops)).toEqual(new Set(["handler_stopped", "memory_limit_exceeded", "handler_crashed"]));
  });

  test("warm_up_starts_a_thread_and_a_broken_thread_entry_is_refused_with_its_cause", async () => {
    const warm = createHandlerThreadPool({ maxIdle: 1, maxMemoryBytes: 64 * 1024 * 1024, abortGraceMs: 100, logger });
    await warm.warmUp();
    expect(warm.stats()).toEqual({ threads: 1, busy: 0 });
    await warm.close();
    const broken = createHandlerThreadPool({
      maxIdle: 1,
      maxMemoryBytes: 64 * 1024 * 1024,
      abortGraceMs: 100,
      logger,
      startThread: (name) => new Worker(tree.path("ns/no_such_entry.ts"), { name }),
    });
    const error = await broken.warmUp().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "HANDLER_THREAD_FAILED" });
    expect((error as Error).message).toContain("a handler thread could not start");
    expect(broken.stats().threads).toBe(0);
    await broken.close();
  });

  test("spans_and_nested_ctx_trace_calls_are_relayed_to_the_worker", async () => {
    const events: string[] = [];
    const fakeSpan = (name: string): StepSpan => {
      const span: StepSpan = {
        setAttribute: (k, v) => (events.push(`${name}.attr ${k}=${String(v)}`), span),
        addEvent: (e) => (events.push(`${name}.event ${e}`), span),
        isRecording: () => true,
      };
      return span;
    };
    const names = new Map<StepSpan, string>();
    const root = fakeSpan("handler");
    names.set(root, "handler");
    const tracing: HandlerTracing = {
      span: root,
      trace: async (_n, fn) => fn(root),
      openChild: (name, parent): OpenedSpan => {
        const span = fakeSpan(name);
        names.set(span, name);
        events.push(`open ${name} under ${names.get(parent) ?? "?"}`);
        return { span, end: (error) => events.push(`end ${name}${error ? ` ${error}` : ""}`) };
      },
    };
    const { result } = await run("traced", 5_000, tracing);
    expect(result.result).toEqual({ spans: 2 });
    expect(events).toEqual([
      "handler.attr a=1",
      "open outer under handler",
      "outer.event e1",
      "open inner under outer",
      "inner.attr b=x",
      "end inner",
      "end outer",
    ]);
  });
});
