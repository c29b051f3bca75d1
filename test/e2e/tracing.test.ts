/**
 * One connected trace across processes: the compiled binary as one orchestrator and two
 * workers, exporting by OTLP/HTTP (configured only through OTEL_* variables) to a receiver
 * in this test. A diamond task's spans share one trace id, form one tree, carry the
 * correlation id, and include the handler's own span (ctx.trace) and the fan-in links.
 */
import { useTestDatabase } from "../support/database.ts";
import { startOtlpReceiver, type ReceivedSpan } from "../support/otlpReceiver.ts";
import { waitFor } from "../support/waitFor.ts";
import { expect, test } from "../support/test.ts";
import { createTask, FIXTURE_HANDLERS, killAll, startRole, waitForTasks, type RoleProcess } from "./engineHarness.ts";

const db = useTestDatabase(import.meta.file);

test("a_diamond_across_an_orchestrator_and_two_workers_is_one_trace_tree", async () => {
  const receiver = startOtlpReceiver();
  const procs: RoleProcess[] = [];
  try {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" };
    const start = async (role: "orchestration" | "worker"): Promise<RoleProcess> => {
      const proc = await startRole(role, { databaseUrl: db.url, handlersDir: FIXTURE_HANDLERS, namespaces: ["e2e_diamond"], env });
      procs.push(proc);
      return proc;
    };
    const [orchestration] = await Promise.all([start("orchestration"), start("worker"), start("worker")]);
    const task = await createTask(orchestration.baseUrl, {
      namespace: "e2e_diamond",
      name: "concurrent_diamond",
      version: "1.0.0",
      context: { branch_ms: 50 },
    });
    await waitForTasks(db.sql, [task.task_uuid], ["complete"], 20_000);

    const ofTask = (): ReceivedSpan[] => {
      const root = receiver.spans().find((s) => s.name === "task.initialize" && s.attributes["task_uuid"] === task.task_uuid);
      return root ? receiver.spans().filter((s) => s.traceId === root.traceId) : [];
    };
    // Batches are exported every second; wait for the last step's completion to arrive.
    const spans = await waitFor(
      () => {
        const all = ofTask();
        const handlers = all.filter((s) => s.name === "worker.handler").length;
        const results = all.filter((s) => s.name === "sql tasker.complete_step").length;
        return handlers === 4 && results === 4 && all.some((s) => s.name === "diamond.sum") ? all : undefined;
      },
      { timeoutMs: 15_000, description: () => `the task's spans at the receiver (got ${ofTask().map((s) => s.name).join(", ")})` },
    );

    // One tree: a single root, every parent present, rooted at the HTTP request that created the task.
    const ids = new Set(spans.map((s) => s.spanId));
    const roots = spans.filter((s) => !s.parentSpanId);
    expect(roots).toHaveLength(1);
    expect(roots[0]!.name).toBe("POST /v1/tasks");
    expect(spans.filter((s) => s.parentSpanId && !ids.has(s.parentSpanId))).toEqual([]);

    // Across processes: the orchestrator's and both kinds of role's spans, from separate processes.
    const instances = new Set(spans.map((s) => s.resource["service.instance.id"]));
    expect(instances.size).toBeGreaterThanOrEqual(2);
    expect(new Set(spans.filter((s) => s.name === "worker.handler").map((s) => s.resource["tasker.role"]))).toEqual(new Set(["worker"]));

    // Every engine span carries the correlation id; the handler's own span hangs under its handler span.
    for (const s of spans.filter((s) => /^(worker|orchestration|task)\./.test(s.name))) {
      expect({ name: s.name, correlation_id: s.attributes["correlation_id"] }).toEqual({ name: s.name, correlation_id: task.correlation_id });
    }
    const sum = spans.find((s) => s.name === "diamond.sum")!;
    const sumParent = spans.find((s) => s.spanId === sum.parentSpanId);
    expect(sumParent?.name).toBe("worker.handler");
    expect(sumParent?.attributes["step.name"]).toBe("join");
    expect(sum.attributes["diamond.left"]).toBe(11);

    // Fan-in: the join's step span links the handler spans of both branches.
    const join = spans.find((s) => s.name === "worker.process_step" && s.attributes["step.name"] === "join")!;
    const branchHandlers = spans
      .filter((s) => s.name === "worker.handler" && String(s.attributes["step.name"]).startsWith("branch_"))
      .map((s) => s.spanId);
    expect(join.links.map((l) => l.spanId).sort()).toEqual(branchHandlers.sort());
  } finally {
    await killAll(procs);
    await receiver.stop();
  }
});
