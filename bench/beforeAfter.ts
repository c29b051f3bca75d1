/**
 * The step-path comparison in bench/README.md: the figures of issue 12 for a baseline run
 * (bench/results/BASELINE, an earlier commit on the same machine) and for this run, each with
 * graphile-worker measured in the same run, and the goal beside them.
 */
import type { RunResults } from "./run.ts";
import { median, medianOfRuns, type Distribution } from "./support/stats.ts";
import type { ThroughputResult } from "./throughput.ts";

const f = (n: number | undefined, digits = 1): string => (n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(digits));

interface Figures {
  single?: number;
  singleInline?: number;
  fanout1?: number;
  fanout2?: number;
  peer?: number;
  peer10?: number;
  peerStart?: Distribution;
  pickup?: Distribution;
  queuePickup?: Distribution;
  linear?: Distribution;
  dag?: Distribution;
  singlePerStep?: ThroughputResult["perStep"];
  fanoutPerStep?: ThroughputResult["perStep"];
  discovery: Map<number, Distribution>;
}

function figures(r: RunResults): Figures {
  const e2e = (workflow: string): Distribution | undefined => {
    const runs = (r.e2e?.results ?? []).map((run) => run.find((x) => x.topology === "combined" && x.workflow === workflow)?.server).filter((d): d is Distribution => !!d);
    return runs.length ? medianOfRuns(runs) : undefined;
  };
  const t = r.throughput;
  const peer = r.peer?.defaults ?? [];
  return {
    ...(t?.singleStepTasks ? { single: t.singleStepTasks.stepsPerSecond, singlePerStep: t.singleStepTasks.perStep } : {}),
    ...(t?.singleStepTasksInline ? { singleInline: t.singleStepTasksInline.stepsPerSecond } : {}),
    ...(t?.oneWorker.length ? { fanout1: median(t.oneWorker.map((x) => x.stepsPerSecond)), fanoutPerStep: t.oneWorker[0]!.perStep } : {}),
    ...(t?.twoWorkers.length ? { fanout2: median(t.twoWorkers.map((x) => x.stepsPerSecond)) } : {}),
    ...(peer.length ? { peer: median(peer.map((p) => p.jobsPerSecond)), peerStart: medianOfRuns(peer.map((p) => p.enqueueToStart)) } : {}),
    ...(r.peer?.matched.length ? { peer10: median(r.peer.matched.map((p) => p.jobsPerSecond)) } : {}),
    ...(r.paths?.length ? { pickup: medianOfRuns(r.paths.map((p) => p.enqueueToHandlerStart)) } : {}),
    ...(r.pathsViaQueue?.length ? { queuePickup: medianOfRuns(r.pathsViaQueue.map((p) => p.enqueueToHandlerStart)) } : {}),
    ...(e2e("linear") ? { linear: e2e("linear")! } : {}),
    ...(e2e("dag") ? { dag: e2e("dag")! } : {}),
    discovery: new Map((r.discovery?.sizes ?? []).map((s) => [s.tasks, s.nextReadyTasks])),
  };
}

const status = (ok: boolean | undefined): string => (ok === undefined ? "–" : ok ? "met" : "**missed**");

export function renderBeforeAfter(before: { file: string; results: RunResults }, after: RunResults): string {
  const b = figures(before.results);
  const a = figures(after);
  const ratio = (x?: number, peer?: number): string => (x && peer ? `${(x / peer).toFixed(2)}×` : "–");
  const rows: string[][] = [
    ["no-op steps/s, 1 worker process, 1-step tasks queued first", `${f(b.single, 0)} (${ratio(b.single, b.peer)} peer)`, `${f(a.single, 0)} (${ratio(a.single, a.peer)} peer)`, "≥ 1.0× graphile-worker (default settings), same run", status(a.single && a.peer ? a.single >= a.peer : undefined)],
    ["… the same, handlers inline (handler_isolation = none, as the peer runs them)", b.singleInline ? `${f(b.singleInline, 0)} (${ratio(b.singleInline, b.peer)} peer)` : "–", `${f(a.singleInline, 0)} (${ratio(a.singleInline, a.peer)} peer)`, "–", "–"],
    ["no-op steps/s, 1 worker process, 10-step fan-out tasks", `${f(b.fanout1, 0)} (${ratio(b.fanout1, b.peer)})`, `${f(a.fanout1, 0)} (${ratio(a.fanout1, a.peer)})`, "–", "–"],
    ["no-op steps/s, 2 worker processes, 10-step fan-out tasks", `${f(b.fanout2, 0)} (${ratio(b.fanout2, b.peer)})`, `${f(a.fanout2, 0)} (${ratio(a.fanout2, a.peer)})`, "–", "–"],
    ["graphile-worker jobs/s: default settings · concurrency = our max_concurrent_steps (10, then 20)", `${f(b.peer, 0)} · ${f(b.peer10, 0)}`, `${f(a.peer, 0)} · ${f(a.peer10, 0)}`, "(the peer)", "–"],
    ["pickup p50 / p95: enqueued → handler start, combined process (peer: add_job → start p50)", `${f(b.pickup?.p50, 2)} / ${f(b.pickup?.p95, 2)} (peer ${f(b.peerStart?.p50, 2)})`, `${f(a.pickup?.p50, 2)} / ${f(a.pickup?.p95, 2)} (peer ${f(a.peerStart?.p50, 2)})`, "p50 ≤ the peer's", status(a.pickup && a.peerStart ? a.pickup.p50 <= a.peerStart.p50 : undefined)],
    ["… the same through the queue (notification + claim; claim at creation off)", b.queuePickup ? `${f(b.queuePickup.p50, 2)} / ${f(b.queuePickup.p95, 2)}` : "(all roots went through the queue)", `${f(a.queuePickup?.p50, 2)} / ${f(a.queuePickup?.p95, 2)}`, "p50 ≤ the peer's", status(a.queuePickup && a.peerStart ? a.queuePickup.p50 <= a.peerStart.p50 : undefined)],
    ["4-step linear task, POST to complete, p50 / p99", `${f(b.linear?.p50)} / ${f(b.linear?.p99)}`, `${f(a.linear?.p50)} / ${f(a.linear?.p99)}`, "p50 ≤ 15, p99 ≤ 50", status(a.linear ? a.linear.p50 <= 15 && a.linear.p99 <= 50 : undefined)],
    ["7-step mixed DAG task, p50 / p99", `${f(b.dag?.p50)} / ${f(b.dag?.p99)}`, `${f(a.dag?.p50)} / ${f(a.dag?.p99)}`, "p50 ≤ 25", status(a.dag ? a.dag.p50 <= 25 : undefined)],
    ["per step, 1-step tasks draining: commits · rows ins / upd / del · PostgreSQL CPU ms", perStep(b.singlePerStep), perStep(a.singlePerStep), "commits ≤ 2", status(a.singlePerStep ? a.singlePerStep.commits <= 2 : undefined)],
    ["per step, 10-step fan-out draining: commits · rows ins / upd / del · PostgreSQL CPU ms", perStep(b.fanoutPerStep), perStep(a.fanoutPerStep), "–", "–"],
  ];
  const sizes = [...new Set([...b.discovery.keys(), ...a.discovery.keys()])].sort((x, y) => x - y);
  for (const size of sizes) {
    const d = a.discovery.get(size);
    rows.push([
      `ready-task discovery (next_ready_tasks(5)) at ${size.toLocaleString("en")} tasks, p50 / p99 ms`,
      `${f(b.discovery.get(size)?.p50, 2)} / ${f(b.discovery.get(size)?.p99, 2)}`,
      `${f(d?.p50, 2)} / ${f(d?.p99, 2)}`,
      "≤ 5 ms at 50k, flat 5k → 500k",
      status(d ? d.p50 <= 5 : undefined),
    ]);
  }
  const head = ["figure", `before (\`${before.results.machine.gitSha}\`)`, `after (\`${after.machine.gitSha}\`)`, "goal", "status"];
  return `## Step path v2: before and after (issue 12)

The baseline is \`${before.file}\`, measured on this machine on ${before.results.machine.date.slice(0, 16).replace("T", " ")} UTC
(before: three transactions and an orchestrator hop per step; after: \`complete_step\`, continuation,
append-only history; see ARCHITECTURE.md). Each column's peer figures come from its own run. Latency in ms.

| ${head.join(" | ")} |
|${head.map(() => "---").join("|")}|
${rows.map((r) => `| ${r.join(" | ")} |`).join("\n")}
${remainingCost(after)}`;
}

/** What the one-step drain spends per step besides PostgreSQL: the worker's CPU with handler threads and inline. */
function remainingCost(r: RunResults): string {
  const workerMs = (t: ThroughputResult | undefined): number | undefined => (t ? ((t.cpuSeconds["worker_1"] ?? Number.NaN) * 1000) / t.steps : undefined);
  const thread = workerMs(r.throughput?.singleStepTasks);
  const inline = workerMs(r.throughput?.singleStepTasksInline);
  if (thread === undefined || inline === undefined) return "";
  const byThread = (t: ThroughputResult | undefined): string => {
    const groups = t?.workerThreadCpuSeconds?.["worker_1"];
    if (!t || !groups) return "";
    const ms = (s: number) => f((s * 1000) / t.steps, 2);
    return `main thread ${ms(groups.main)}, handler threads ${ms(groups.handler_threads)}, JIT compiler ${ms(groups.jit)}, other ${ms(groups.other)}`;
  };
  const threadSplit = byThread(r.throughput?.singleStepTasks);
  const inlineSplit = byThread(r.throughput?.singleStepTasksInline);
  return `
Where a one-step drain's time goes (median runs): PostgreSQL ${f(r.throughput?.singleStepTasks?.perStep.postgresCpuMs, 2)} ms CPU per step
(by statement below); the worker ${f(thread, 2)} ms CPU per step with handler threads (the default) and ${f(inline, 2)} ms with
handlers inline, so the thread hop costs ${f(thread - inline, 2)} ms of CPU per step on a machine whose two cores the drain saturates.
${threadSplit ? `By thread (each read every 100 ms while it lives), ms of CPU per step: with handler threads ${threadSplit}; inline ${inlineSplit}.${alone(r)}
` : ""}`;
}

/** The micro section's no-op call through a handler thread, one at a time on an idle machine. */
function alone(r: RunResults): string {
  const call = r.micro?.find((m) => m.name.includes("in a handler thread"));
  return call
    ? `\nAlone, one call at a time, a no-op call through a handler thread takes ${f(call.p50Ns / 1e6, 3)} ms (micro section, p50 wall);
in the drain each call wakes a sleeping thread on a core PostgreSQL keeps busy.`
    : "";
}

function perStep(p: ThroughputResult["perStep"] | undefined): string {
  return p ? `${f(p.commits)} · ${f(p.rowsInserted)} / ${f(p.rowsUpdated)} / ${f(p.rowsDeleted)} · ${f(p.postgresCpuMs, 2)}` : "–";
}
