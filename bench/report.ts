/**
 * Renders bench/README.md from a full run's results: how to run, the machine, then every
 * figure with its target beside it. Figures of repeated runs are medians of the runs'
 * percentiles (the header says how many runs).
 */
import { join } from "node:path";
import { readBlock } from "./support/readmeBlock.ts";
import { renderBeforeAfter } from "./beforeAfter.ts";
import { flaggedSeqScans } from "./explainReport.ts";
import { fmtNs } from "./microBenchmarks.ts";
import type { RunResults } from "./run.ts";
import { median, medianOfRuns, type Distribution } from "./support/stats.ts";

const f1 = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(1));
const f2 = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(2));
const f0 = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(0));
const ppp = (d: Distribution | undefined): string => (d ? `${f1(d.p50)} / ${f1(d.p95)} / ${f1(d.p99)}` : "–");
const ppp2 = (d: Distribution | undefined): string => (d ? `${f2(d.p50)} / ${f2(d.p95)} / ${f2(d.p99)}` : "–");
const verdict = (ok: boolean | undefined): string => (ok === undefined ? "–" : ok ? "met" : "**missed**");

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

const HOW_TO = `# Benchmarks

Measures tasker against the seed plan's targets (phase 5) and a peer (graphile-worker) in
the same run. It asserts nothing about time; \`npm run bench:quick\` is CI's smoke test
that the harness works.

\`\`\`sh
npm run bench          # full: builds dist/tasker, every section, repeated runs (~17 min on 2 cores);
                       # writes bench/results/<date>-<sha>.json and this file
npm run bench:quick    # about a minute: small counts, one repeat; writes bench/results/<date>-<sha>-quick.json
node_modules/.bin/bun bench/run.ts --only sql,peer --repeats 1   # sections: sql notify paths e2e
                       # dynamic isolation throughput profile pgbench peer micro startup telemetry; --no-telemetry skips the last
node_modules/.bin/bun bench/run.ts --render bench/results/<file>.json   # rewrite this file from a full run's results
node_modules/.bin/bun bench/generateDataset.ts --tasks 50000     # time the data generator alone
node_modules/.bin/bun bench/engineLatency.ts --linear 100 --dag 50   # whole-task latency alone
\`\`\`

DATABASE_URL picks the server (default postgres://postgres@127.0.0.1:5432/postgres); every
section creates its own \`tasker_bench_<pid>_*\` database and drops it, and stops every
process it started. The end-to-end sections run the compiled binary (\`dist/tasker\`) with
TASKER_ENV=production and log level warn; no-op steps come from \`bench/handlers/bench_noop\`.

| file | what |
|---|---|
| \`run.ts\` | entry: profiles (full/quick), sections, results JSON, this report (\`report.ts\`) |
| \`generateDataset.ts\` | set-based data generator: shapes linear/diamond/tree/mixed (+fanout), the seed's state mix, full transition histories |
| \`sqlBenchmarks.ts\`, \`sqlSuite.ts\` | next_ready_tasks and task_execution_context per size, discovery to enqueue, CAS contention |
| \`explainReport.ts\` | EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) summaries; plpgsql bodies through auto_explain (nested statements) |
| \`pathLatency.ts\` | no-op step critical paths from transition timestamps; pg_notify to the engine's listener |
| \`engineLatency.ts\` | whole tasks from POST to complete, combined and separate processes, per-hop breakdown |
| \`throughput.ts\` | no-op steps/s at saturation (1 and 2 workers) with CPU split and SQL function stats; pgbench ceiling |
| \`statementProfile.ts\` | pg_stat_statements (nested statements) over a one-step drain, on a throwaway cluster that preloads it |
| \`peerGraphile.ts\` | graphile-worker jobs/s and enqueue-to-start on the same server |
| \`microBenchmarks.ts\` | mitata: CPU hot paths (message, template, result, executeStep) |
| \`startupTime.ts\`, \`telemetryOverhead.ts\` | binary start to ready and idle RSS; whole tasks with tracing off and on |
`;

export function renderReport(r: RunResults, resultsFile: string, baseline?: { file: string; results: RunResults }): string {
  const out: string[] = [HOW_TO];
  const m = r.machine;
  out.push(`## Latest full run

${m.date.slice(0, 16).replace("T", " ")} UTC, commit \`${m.gitSha}\`${m.gitDirty ? " (with uncommitted changes)" : ""}, results in \`${resultsFile}\`.
Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Bun ${m.bun}, ${m.postgres.version.split(",")[0]};
load average ${m.loadAverageAtStart.join(" / ")} at start, ${(r.loadAverageAtEnd ?? []).join(" / ")} at end${r.peakLoadAverage === undefined ? "" : `, 1-minute peak ${r.peakLoadAverage}`}; ${r.durationSeconds} s in all.
PostgreSQL settings: ${Object.entries(m.postgres.settings).map(([k, v]) => `${k}=${v || "''"}`).join(", ")}.

**Repeats:** latency, throughput and peer figures are the median over ${r.repeats} run(s) of each run's
p50/p95/p99 (ms); SQL figures are one run of many iterations each. The machine is shared and
small: expect run-to-run differences of 20-30 % on end-to-end latency and throughput; compare
ratios measured in the same run (ours vs the peer) rather than absolute numbers across runs.
`);
  if (r.errors.length) out.push(`**Sections that failed:** ${r.errors.map((e) => `${e.section} (${e.error.split("\n")[0]})`).join("; ")}\n`);

  // ------------------------------------------------------------------ goals
  const e2e = (topology: string, workflow: string): Distribution | undefined => {
    const runs = (r.e2e?.results ?? []).map((run) => run.find((x) => x.topology === topology && x.workflow === workflow)?.server).filter((d): d is Distribution => !!d);
    return runs.length ? medianOfRuns(runs) : undefined;
  };
  const paths = r.paths?.length ? r.paths : undefined;
  const pathDist = (k: keyof Omit<NonNullable<typeof paths>[number], "tasks">): Distribution | undefined => (paths ? medianOfRuns(paths.map((p) => p[k])) : undefined);
  const peerDefaults = r.peer?.defaults ?? [];
  const peerStart = peerDefaults.length ? medianOfRuns(peerDefaults.map((p) => p.enqueueToStart)) : undefined;
  const peerJobs = peerDefaults.length ? median(peerDefaults.map((p) => p.jobsPerSecond)) : undefined;
  const peerMatchedJobs = r.peer?.matched.length ? median(r.peer.matched.map((p) => p.jobsPerSecond)) : undefined;
  const ours1 = r.throughput?.oneWorker.length ? median(r.throughput.oneWorker.map((t) => t.stepsPerSecond)) : undefined;
  // The goal compares the peer's shape (one job, one step): one-step tasks when the run has them.
  const oursGoal = r.throughput?.singleStepTasks?.stepsPerSecond ?? ours1;
  const oursGoalShape = r.throughput?.singleStepTasks ? "1-step tasks queued first" : "10-step fan-out tasks";
  const oursInline = r.throughput?.singleStepTasksInline?.stepsPerSecond;
  const pickup = pathDist("enqueueToHandlerStart");
  const viaQueue = r.pathsViaQueue?.length ? r.pathsViaQueue : undefined;
  const queuePickup = viaQueue ? medianOfRuns(viaQueue.map((p) => p.enqueueToHandlerStart)) : undefined;
  const notify = r.notify?.length ? medianOfRuns(r.notify) : undefined;
  const disc = r.sql?.discoveryToEnqueue.client;
  const linear = e2e("combined", "linear");
  const dag = e2e("combined", "dag");
  const api = pathDist("apiToCreated");
  const claim = pathDist("claimToSubmitted");
  const ratio = (a: number | undefined, b: number | undefined): string => (a && b ? `${(a / b).toFixed(2)}×` : "–");
  out.push(`## Goals

| goal (issue 6 / seed) | target | measured | status |
|---|---|---|---|
| 4-step linear task, API to complete, p50 (combined) | ≤ 15 ms | ${f1(linear?.p50)} ms | ${verdict(linear && linear.p50 <= 15)} |
| 7-step mixed DAG task, p50 (combined) | ≤ 25 ms | ${f1(dag?.p50)} ms | ${verdict(dag && dag.p50 <= 25)} |
| step pickup p50 (enqueued → handler start) vs peer's enqueue → start; combined process (root claimed at creation) | ≤ peer (${f2(peerStart?.p50)} ms) | ${f2(pickup?.p50)} ms (${ratio(pickup?.p50, peerStart?.p50)} the peer's) | ${verdict(pickup && peerStart ? pickup.p50 <= peerStart.p50 : undefined)} |
| the same through the queue (notification + claim, as with separate worker processes) | ≤ peer (${f2(peerStart?.p50)} ms) | ${f2(queuePickup?.p50)} ms (${ratio(queuePickup?.p50, peerStart?.p50)} the peer's) | ${verdict(queuePickup && peerStart ? queuePickup.p50 <= peerStart.p50 : undefined)} |
| no-op steps/s, 1 worker process (${oursGoalShape}), vs peer's jobs/s (default settings) | ≥ peer (${f0(peerJobs)}/s) | ${f0(oursGoal)}/s (${ratio(oursGoal, peerJobs)} the peer's) | ${verdict(oursGoal && peerJobs ? oursGoal >= peerJobs : undefined)} |
| the same with handlers in the worker's event loop (\`handler_isolation = "none"\`, as the peer runs them) | ≥ peer (${f0(peerJobs)}/s) | ${f0(oursInline)}/s (${ratio(oursInline, peerJobs)} the peer's) | ${verdict(oursInline && peerJobs ? oursInline >= peerJobs : undefined)} |
| API request → task created, p99 | < 50 ms | ${f1(api?.p99)} ms | ${verdict(api && api.p99 < 50)} |
| ready-step discovery → enqueue, 10-step task, p99 | < 100 ms | ${f2(disc?.p99)} ms | ${verdict(disc && disc.p99 < 100)} |
| worker claim → result submitted (no-op handler), p99 | < 200 ms | ${f2(claim?.p99)} ms | ${verdict(claim && claim.p99 < 200)} |
| pg_notify publish → listener reception, p95 | < 10 ms | ${f2(notify?.p95)} ms | ${verdict(notify && notify.p95 < 10)} |
`);

  if (baseline) out.push(renderBeforeAfter(baseline, r));

  // ------------------------------------------------------------------ e2e
  if (r.e2e?.results.length) {
    const rows: string[][] = [];
    const first = r.e2e.results[0]!;
    for (const x of first) {
      const runs = r.e2e.results.map((run) => run.find((y) => y.topology === x.topology && y.workflow === x.workflow)).filter((y) => !!y);
      const target = x.workflow === "linear" ? "p50 ≤ 15" : x.workflow === "dag" ? "p50 ≤ 25" : "–";
      rows.push([
        x.topology, x.label, String(median(runs.map((y) => y.server.n))),
        ppp(medianOfRuns(runs.map((y) => y.server))), ppp(medianOfRuns(runs.map((y) => y.client))), target,
        `${f2(median(runs.map((y) => y.hops.startMs)))} · ${f2(median(runs.map((y) => y.hops.pickupMs)))} · ${f2(median(runs.map((y) => y.hops.executeMs)))} · ` +
          `${f2(median(runs.map((y) => y.hops.processMs)))} · ${f2(median(runs.map((y) => y.hops.handoffMs)))} · ${f2(median(runs.map((y) => y.hops.finishMs)))}`,
      ]);
    }
    out.push(`## Whole tasks, API call to complete (ms, p50 / p95 / p99)

One task at a time; shipped example handlers. *server* = \`completed_at - created_at\` (PostgreSQL clock);
*client* = POST sent until a 1 ms poll sees \`complete\`. Hops (medians per step/task, ms): created → first
step enqueued · enqueued → in_progress (delivery + claim) · in_progress → submitted (handler + submit) ·
submitted → complete (notice + result processing) · parent complete → child enqueued · last step → task complete.

${table(["topology", "workflow", "n/run", "server", "client", "target", "hops"], rows)}
`);
  }

  // ------------------------------------------------------------------ paths
  if (paths) {
    const row = (label: string, d: Distribution | undefined, target: string, ok?: boolean): string[] => [label, ppp2(d), target, verdict(ok)];
    const whole = pathDist("wholeTask");
    out.push(`## Critical paths with a no-op handler (ms, p50 / p95 / p99)

One-step tasks (\`bench_noop/noop_single\`) one at a time on a combined process, ${median(paths.map((p) => p.tasks))} per run; from the
transitions' clock_timestamp() and the handler's own clock. pg_notify: \`tasker.pgmq_send_with_notify\` issued
until the engine's listener callback ran, ${notify?.n ?? 0} messages.

${table(["path", "p50 / p95 / p99", "target", "status"], [
  row("API request → task created (POST round trip; root step enqueued, committed)", api, "p99 < 50", api && api.p99 < 50),
  row(`ready-step discovery → enqueue, 10-step task (evaluate_task round trip, ${r.sql?.discoveryToEnqueue.atTasks ?? "?"}-task database)`, disc, "< 100", disc && disc.p99 < 100),
  row("step enqueued → claimed (in_progress; 0 when claimed at creation)", pathDist("enqueueToClaimed"), "–"),
  row("step enqueued → handler start (pickup; root claimed at creation)", pickup, `≤ peer p50 ${f2(peerStart?.p50)}`, pickup && peerStart ? pickup.p50 <= peerStart.p50 : undefined),
  row("… through the queue: enqueued → claimed (notification + claim)", viaQueue ? medianOfRuns(viaQueue.map((p) => p.enqueueToClaimed)) : undefined, "–"),
  row("… through the queue: enqueued → handler start (pickup)", queuePickup, `≤ peer p50 ${f2(peerStart?.p50)}`, queuePickup && peerStart ? queuePickup.p50 <= peerStart.p50 : undefined),
  row("claim committed → result submitted (framework overhead)", claim, "< 200", claim && claim.p99 < 200),
  row("result submitted → step complete (notice + process_step_result)", pathDist("submittedToProcessed"), "–"),
  row("one-step task, created → complete", whole, "–"),
  row("pg_notify publish → listener reception", notify, "p95 < 10", notify && notify.p95 < 10),
])}
`);
  }

  // ------------------------------------------------------------------ throughput
  if (r.throughput || r.peer || r.pgbench) {
    const rows: string[][] = [];
    const tp = (label: string, runs: NonNullable<RunResults["throughput"]>["oneWorker"] | undefined): void => {
      if (!runs?.length) return;
      const cpu = (k: string): string => f2(median(runs.map((t) => t.cpuSeconds[k] ?? Number.NaN)));
      const cpuKeys = Object.keys(runs[0]!.cpuSeconds);
      rows.push([
        label, `${f0(median(runs.map((t) => t.stepsPerSecond)))} steps/s`,
        `${runs[0]!.steps} steps (${runs[0]!.tasks} × ${runs[0]!.template === "noop_single" ? "1-step" : "10-step fan-out"}); per step ${f1(median(runs.map((t) => t.perStep.commits)))} commits, ` +
          `${f1(median(runs.map((t) => t.perStep.rowsInserted)))} rows inserted, ${f1(median(runs.map((t) => t.perStep.rowsUpdated)))} updated, ${f2(median(runs.map((t) => t.perStep.postgresCpuMs)))} ms PostgreSQL CPU`,
        ratio(median(runs.map((t) => t.stepsPerSecond)), peerJobs),
        `${cpuKeys.map((k) => `${k} ${cpu(k)}`).join(", ")} of ${f2(median(runs.map((t) => t.wallSeconds)))} s wall; machine ${f0(median(runs.map((t) => t.machineBusyShare * 100)))} % busy`,
      ]);
    };
    tp("tasker, 1 orchestration + 1 worker process", r.throughput?.oneWorker);
    tp("tasker, 1 orchestration + 2 worker processes", r.throughput?.twoWorkers);
    tp("tasker, 1 + 1, the same steps as one-step tasks (one run)", r.throughput?.singleStepTasks ? [r.throughput.singleStepTasks] : undefined);
    tp("tasker, 1 + 1, one-step tasks, handler_isolation = none (one run)", r.throughput?.singleStepTasksInline ? [r.throughput.singleStepTasksInline] : undefined);
    if (peerJobs) rows.push([`graphile-worker ${peerDefaults[0]!.version}, default settings (concurrency 1)`, `${f0(peerJobs)} jobs/s`, `${peerDefaults[0]!.jobs} jobs`, "1.00×", "in the bench process"]);
    if (peerMatchedJobs) rows.push([`graphile-worker, concurrency ${r.peer!.matched[0]!.concurrency} (= our max_concurrent_steps)`, `${f0(peerMatchedJobs)} jobs/s`, `${r.peer!.matched[0]!.jobs} jobs`, ratio(peerMatchedJobs, peerJobs), "in the bench process"]);
    if (Array.isArray(r.pgbench)) for (const p of r.pgbench) rows.push([`pgbench single-row INSERT, ${p.clients} client(s)`, `${f0(p.tps)} tx/s`, `${p.seconds} s`, ratio(p.tps, peerJobs), `latency avg ${f2(p.latencyMs)} ms`]);
    out.push(`## Throughput at saturation

The queue is filled first, then the workers start; rate = complete steps / (last complete - first claim).
Ratio column: to the peer's jobs/s with default settings. CPU: seconds used during the drain.

${table(["what", "rate", "volume", "vs peer", "CPU"], rows)}
${!Array.isArray(r.pgbench) && r.pgbench ? `\npgbench: ${r.pgbench.skipped}\n` : ""}`);
    const activity = r.throughput?.oneWorker[0]?.activity ?? [];
    if (activity.length) {
      out.push(`Where active PostgreSQL backends were during the 1-worker drain (pg_stat_activity sampled every 10 ms, first run;
\`Lock:object\` on a commit that sent a NOTIFY is PostgreSQL's queue lock, held until the commit is flushed;
\`Lock:tuple\`/\`Lock:transactionid\` are row-lock waits):

${table(["share of samples", "wait", "statement"], activity.slice(0, 8).map((a) => [`${f0(a.share * 100)} %`, a.wait, `\`${a.query.trim().replace(/\|/g, "\\|")}\``]))}
`);
    }
    const fns = r.throughput?.oneWorker[0]?.functions ?? [];
    if (fns.length) {
      out.push(`SQL functions during the 1-worker drain (pg_stat_user_functions, first run; *self* includes lock waits):

${table(["function", "calls", "total ms", "self ms", "self ms/call"], fns.slice(0, 8).map((x) => [x.name, String(x.calls), f0(x.totalMs), f0(x.selfMs), f2(x.selfMs / Math.max(1, x.calls))]))}
`);
    }
    const prof = r.profile;
    if (prof && prof.statements.length) {
      const top = prof.statements.filter((s) => s.msPerStep >= 0.004).slice(0, 24);
      out.push(`Where PostgreSQL's time goes per step (\`bench/statementProfile.ts\`): the one-step drain (${prof.steps} steps, ${f0(prof.stepsPerSecond)} steps/s
there) on a throwaway ${prof.server} cluster preloading pg_stat_statements with \`track = all\`, so the statements inside the
functions are listed under the calls that ran them (*top* = sent by a process; a caller's time includes its statements').
Per step: ${f2(prof.perStep.commits)} commits, ${f1(prof.perStep.rowsInserted)} rows inserted, ${f1(prof.perStep.rowsUpdated)} updated, ${f1(prof.perStep.rowsDeleted)} deleted, ${f2(prof.perStep.postgresCpuMs)} ms of backend CPU (statement tracking included).

${table(["", "calls per step", "ms per step", "rows per call", "statement"], top.map((s) => [s.toplevel ? "top" : "", f2(s.calls / prof.steps), s.msPerStep.toFixed(3), f1(s.rowsPerCall), `\`${s.query.slice(0, 110).trim().replace(/\|/g, "\\|")}\``]))}
`);
    }
    if (peerStart) out.push(`Peer enqueue → start (one job at a time): ${ppp2(peerStart)} ms (default settings); our pickup ${ppp2(pickup)} ms.\n`);
  }

  // ------------------------------------------------------------------ dynamic workflows
  const dyn = r.dynamic?.[0];
  if (dyn) {
    const d = (x: { p50: number; p95: number; p99: number }) => `${f2(x.p50)} / ${f2(x.p95)} / ${f2(x.p99)}`;
    const runs = r.dynamic!;
    const median = (pick: (x: NonNullable<typeof dyn>) => number) => {
      const v = runs.map(pick).sort((a, b) => a - b);
      return v[Math.floor((v.length - 1) / 2)]!;
    };
    out.push(`## Dynamic workflows: what a decision and a batch cost

One \`--role combined\` process, one task at a time (server time, task created to completed). A decision
step is completed in its own transaction (the step and its task locked, the outcome planned, the new
steps created, then \`complete_step\`), not through the completion batcher. Median of ${runs.length} run(s).

${table(
  ["what", "ms (p50 / p95 / p99, first run)", "median of runs"],
  [
    ["3 no-op steps in a row (static_chain)", d(dyn.staticChain), `p50 ${f2(median((x) => x.staticChain.p50))}`],
    ["the same, the middle step a decision creating the last (decided_chain)", d(dyn.decidedChain), `p50 ${f2(median((x) => x.decidedChain.p50))}`],
    ["**extra cost of a decision** (p50 difference)", f2(dyn.decisionExtraMs), f2(median((x) => x.decisionExtraMs))],
    [`an analyzer creating ${dyn.batches} no-op batch steps, all run, then an aggregator`, d(dyn.fanOut), `p50 ${f2(median((x) => x.fanOut.p50))}`],
    ["one plain step's completion (mean, worker metric)", f2(dyn.completionMs.plain), f2(median((x) => x.completionMs.plain))],
    ["one decision's completion (mean)", f2(dyn.completionMs.decision), f2(median((x) => x.completionMs.decision))],
    [`**one analyzer's completion creating ${dyn.batches} batch steps** (mean)`, f2(dyn.completionMs.batchable), f2(median((x) => x.completionMs.batchable))],
  ],
)}
`);
  }

  // ------------------------------------------------------------------ SQL
  if (r.sql) {
    const s = r.sql;
    const shapes = ["linear", "diamond", "tree", "mixed"] as const;
    out.push(`## SQL at growing size (ms, p50 / p95 / p99 of ${s.sizes[0]?.readyTasks.n ?? 0} calls)

Generated data (\`generateDataset.ts\`): ${s.generatorConfig.avgStepsPerTask} steps per task ±${s.generatorConfig.stepCountVariance * 100} %,
${s.generatorConfig.namespaceCount} namespaces, shapes evenly mixed, task fates 60 % complete / 20 % in progress /
10 % waiting for retry / 5 % error / 5 % pending, full transition histories.

${table(["tasks", "steps", "generated in", `next_ready_tasks(5)`, "rows", ...shapes.map((x) => `task_execution_context ${x}`)], s.sizes.map((z) => [
  String(z.tasks), String(z.steps), `${f1(z.generation.ms / 1000)} s (+${z.generation.tasks})`, ppp2(z.readyTasks), String(z.readyTasks.rows),
  ...shapes.map((x) => ppp2(z.stepReadiness[x] ?? undefined)),
]))}

Discovery → enqueue of a 10-step task at ${s.discoveryToEnqueue.atTasks} tasks (evaluate_task round trip, committed):
${ppp2(s.discoveryToEnqueue.client)} ms; inside the transaction (initializing → steps_in_process): ${ppp2(s.discoveryToEnqueue.inside)} ms.

State-transition CAS (\`transition_task_state\`) under contention: each connection moves a task between
waiting_for_dependencies and evaluating_results expecting the state it last read.

${table(["connections", "hot tasks", "calls/s", "p50 / p95 / p99 ms", "lost races (NULL)", "spurious TK001"], s.cas.map((c) => [
  String(c.connections), String(c.hotTasks), f0(c.callsPerSecond), ppp2(c.latency), String(c.misses), String(c.abaErrors),
]))}
`);
    const rows = s.explain.entries.map((e) => {
      const seq = flaggedSeqScans(e);
      const top = (e.statements ?? []).slice(0, 2).map((st) => `${f2(st.executionMs)} ms \`${st.statement.slice(0, 70).replace(/\|/g, "\\|")}\``).join("<br>");
      return [
        e.name, e.error ? `error: ${e.error}` : f2(e.plan?.executionMs),
        e.plan ? `\`${e.plan.shape.slice(0, 160).replace(/\|/g, "\\|")}\`` : "–",
        (e.plan?.indexes ?? []).concat(...(e.statements ?? []).map((st) => st.indexes)).filter((v, i, a) => a.indexOf(v) === i).join(", ") || "–",
        seq.length
          ? seq.map((x) => {
              const text = `${x.relation} (${x.rows} rows, ${x.removedByFilter} filtered, ${x.loops} loops)`;
              return x.rows + x.removedByFilter >= 1000 ? `**${text}**` : text;
            }).join("; ")
          : "none",
        top || "–",
      ];
    });
    out.push(`## EXPLAIN at ${s.explain.atTasks} tasks

\`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)\`; plpgsql functions through auto_explain (nested statements, warm
second call, rolled back; auto_explain's per-node timing inflates the nested figures). Every sequential scan on a
non-empty table is listed; those that read 1,000 rows or more are **bold**.

${table(["query", "ms", "plan shape", "indexes", "seq scans", "slowest nested statements"], rows)}
`);
  }

  // ------------------------------------------------------------------ micro, memory, startup, telemetry
  if (r.micro?.length) {
    out.push(`## CPU hot paths (mitata, per call)

${table(["path", "p50", "avg", "p99"], r.micro.map((x) => [x.name, fmtNs(x.p50Ns), fmtNs(x.avgNs), fmtNs(x.p99Ns)]))}
`);
  }
  const mem: string[][] = [];
  for (const s of r.startup ?? []) mem.push([`${s.role} (idle, after start-up)`, f1(s.idleRssMiB), "–"]);
  for (const x of r.e2e?.memory[0] ?? []) mem.push([`${x.role} (${x.topology} topology, one task at a time)`, f1(median((r.e2e?.memory ?? []).map((run) => run.find((y) => y.role === x.role && y.topology === x.topology)?.idleMiB ?? Number.NaN))), f1(median((r.e2e?.memory ?? []).map((run) => run.find((y) => y.role === x.role && y.topology === x.topology)?.peakMiB ?? Number.NaN)))]);
  for (const [label, runs] of [["1 worker", r.throughput?.oneWorker], ["2 workers", r.throughput?.twoWorkers]] as const) {
    for (const k of Object.keys(runs?.[0]?.peakRssMiB ?? {})) mem.push([`${k} (throughput, ${label}, saturated)`, "–", f1(median((runs ?? []).map((t) => t.peakRssMiB[k] ?? Number.NaN)))]);
  }
  if (mem.length) out.push(`## Memory (RSS, MiB)\n\n${table(["role", "idle", "peak under load"], mem)}\n`);
  if (r.startup?.length) {
    out.push(`## Start-up of the compiled binary (spawn → /health/ready 200, database already migrated)

${table(["role", "p50 ms", "max ms", "runs"], r.startup.map((s) => [s.role, f0(s.toReady.p50), f0(s.toReady.max), String(s.toReady.n)]))}
`);
  }
  if (r.isolation) {
    const iso = r.isolation;
    const rows = (iso.none[0] ?? []).map((x) => {
      const pick = (set: NonNullable<RunResults["isolation"]>["none"]) => medianOfRuns(set.map((run) => run.find((y) => y.topology === x.topology && y.workflow === x.workflow)!.server));
      const none = pick(iso.none);
      const thread = pick(iso.thread);
      return [x.topology, x.label, ppp(none), ppp(thread), `${f1(((thread.p50 - none.p50) / none.p50) * 100)} %`];
    });
    out.push(`## Handler isolation (server ms, p50 / p95 / p99)

The whole-task runs back to back with handlers inline (\`worker.handler_isolation = "none"\`) and in handler threads
(\`"thread"\`, the default: one message to the thread and one back per step).

${table(["topology", "workflow", "inline", "threads", "p50 change"], rows)}
`);
  }
  if (r.telemetry) {
    if (!r.telemetry.supported) out.push(`## Tracing overhead\n\nSkipped: ${r.telemetry.note}\n`);
    else {
      const rows = (r.telemetry.off?.[0] ?? []).map((x) => {
        const pick = (set: typeof r.telemetry.on) => medianOfRuns((set ?? []).map((run) => run.find((y) => y.topology === x.topology && y.workflow === x.workflow)!.server));
        const off = pick(r.telemetry!.off);
        const on = pick(r.telemetry!.on);
        return [x.topology, x.label, ppp(off), ppp(on), `${f1(((on.p50 - off.p50) / off.p50) * 100)} %`];
      });
      const exported = Object.entries(r.telemetry.exported ?? {}).map(([k, v]) => `${k}: ${v.requests} requests, ${v.bytes} bytes`).join("; ");
      out.push(`## Tracing overhead (server ms, p50 / p95 / p99)

The whole-task runs back to back with telemetry off and on (TASKER_TELEMETRY__ENABLED=true, OTLP/HTTP export to a
sink in the bench process that answers 200; it received ${exported || "nothing"}).

${table(["topology", "workflow", "telemetry off", "telemetry on", "p50 change"], rows)}
`);
    }
  }
  // What benches of their own wrote into the README (runtimesAndServers.ts, dashboardList.ts) stays.
  for (const name of ["runtimes", "dashboard-list"]) {
    const kept = readBlock(join(import.meta.dirname, "README.md"), name);
    if (kept) out.push(kept);
  }
  return `${out.join("\n")}\n`;
}
