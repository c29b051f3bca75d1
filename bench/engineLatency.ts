/**
 * End-to-end latency of the compiled binary: a task created over HTTP until it is
 * `complete`, one task at a time (no queueing behind other tasks). Part of the suite
 * (bench/run.ts); also runnable alone:
 *
 *   node_modules/.bin/bun run build && node_modules/.bin/bun bench/engineLatency.ts [--linear N] [--dag N] [--poll-ms N]
 *
 * For each topology (one `--role combined` process; a `--role orchestration` plus a
 * `--role worker` process) on a fresh database, it runs a few warm-up tasks per workflow,
 * then N tasks of each workflow, and reports p50/p95/p99 of:
 *   - server: `completed_at - created_at` of the task row (both stamped by PostgreSQL's
 *     clock_timestamp(), so no polling error; excludes the HTTP round trip);
 *   - client: POST /v1/tasks sent until a query sees `state = 'complete'`. The task row
 *     is polled every 1 ms on a dedicated connection, so this includes the HTTP call, the
 *     response and up to ~1 ms of polling delay (`--poll-ms` changes the interval; with 20 the
 *     server figures barely move, so the polling load does not skew them);
 *   - create: the POST /v1/tasks round trip alone (API request to task created);
 *   - where a step's time goes (hops), from the transition timestamps.
 * Measures only; it asserts nothing about time.
 */
import postgres, { type Sql } from "postgres";
import { withBenchDatabase } from "./support/benchDatabase.ts";
import { positiveIntFlag } from "./support/flags.ts";
import { distribution, type Distribution } from "./support/stats.ts";
import { createTask, rssMiB, sampleRss, startRole, stopRoles, type RunningRole } from "./support/taskerRoles.ts";

export interface Workflow {
  key: string;
  label: string;
  namespace: string;
  name: string;
  count: number;
  context?: Record<string, unknown>;
}

export function shippedWorkflows(counts: { linear: number; diamond: number; dag: number }): Workflow[] {
  const context = { even_number: 6 };
  return [
    { key: "linear", label: "linear (4 steps)", namespace: "linear_workflow", name: "mathematical_sequence", count: counts.linear, context },
    { key: "diamond", label: "diamond (4 steps)", namespace: "diamond_workflow", name: "parallel_computation", count: counts.diamond, context },
    { key: "dag", label: "mixed DAG (7 steps)", namespace: "mixed_dag_workflow", name: "complex_dag", count: counts.dag, context },
  ];
}

export type Topology = "combined" | "separate";

export interface Hops {
  /** enqueued -> in_progress: delivery + claim. */
  pickupMs: number;
  /** in_progress -> enqueued_for_orchestration: handler + result submit. */
  executeMs: number;
  /** enqueued_for_orchestration -> complete: notice delivery + result processing. */
  processMs: number;
  /** last parent complete -> child enqueued. */
  handoffMs: number;
  /** task created -> first step enqueued. */
  startMs: number;
  /** last step complete -> task complete. */
  finishMs: number;
}

export interface WholeTaskResult {
  topology: Topology;
  workflow: string;
  label: string;
  server: Distribution;
  client: Distribution;
  create: Distribution;
  hops: Hops;
}

export interface RoleMemory {
  role: string;
  topology: Topology;
  idleMiB: number;
  peakMiB: number;
}

interface Sample {
  serverMs: number;
  clientMs: number;
  createMs: number;
}

const ACTIVE = ["pending", "initializing", "enqueuing_steps", "steps_in_process", "evaluating_results", "waiting_for_dependencies", "waiting_for_retry"];

/** Creates one task over HTTP and polls until it is complete. */
export async function runOneTask(sql: Sql, baseUrl: string, workflow: Workflow, key: string, pollMs: number): Promise<Sample & { taskUuid: string }> {
  const sent = performance.now();
  const { taskUuid, requestMs } = await createTask(baseUrl, {
    namespace: workflow.namespace,
    name: workflow.name,
    context: workflow.context ?? {},
    idempotency_key: key,
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [row] = await sql<{ state: string; server_ms: number | null }[]>`
      SELECT state, (extract(epoch FROM completed_at - created_at) * 1000)::float8 AS server_ms
        FROM tasker.tasks WHERE task_uuid = ${taskUuid}::uuid`;
    if (row?.state === "complete") {
      return { taskUuid, serverMs: row.server_ms ?? Number.NaN, clientMs: performance.now() - sent, createMs: requestMs };
    }
    if (row && !ACTIVE.includes(row.state)) throw new Error(`task ${taskUuid} ended in ${row.state}`);
    if (Date.now() > deadline) throw new Error(`task ${taskUuid} did not complete within 30 s (state ${row?.state})`);
    await Bun.sleep(pollMs);
  }
}

/**
 * Where a step's time goes, median over every step of the measured tasks (idempotency
 * keys starting with `prefix`), from the transition timestamps (clock_timestamp() in the
 * same transactions that change state).
 */
export async function hopBreakdown(sql: Sql, namespace: string, prefix = "run-"): Promise<Hops> {
  const like = `${prefix}%`;
  const [row] = await sql<Record<string, number>[]>`
    WITH t AS (
      SELECT s.workflow_step_uuid,
             max(tr.created_at) FILTER (WHERE tr.to_state = 'enqueued') AS enq,
             max(tr.created_at) FILTER (WHERE tr.to_state = 'in_progress') AS run,
             max(tr.created_at) FILTER (WHERE tr.to_state = 'enqueued_for_orchestration') AS sub,
             max(tr.created_at) FILTER (WHERE tr.to_state = 'complete') AS done
        FROM tasker.workflow_step_transitions tr
        JOIN tasker.workflow_steps s USING (workflow_step_uuid)
        JOIN tasker.tasks k USING (task_uuid)
        JOIN tasker.named_tasks nt USING (named_task_uuid)
        JOIN tasker.task_namespaces ns USING (task_namespace_uuid)
       WHERE ns.name = ${namespace} AND k.idempotency_key LIKE ${like}
       GROUP BY s.workflow_step_uuid)
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM run - enq) * 1000) AS pickup,
           (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM gap) * 1000)
              FROM (SELECT c.enq - max(p.done) AS gap
                      FROM t c
                      JOIN tasker.workflow_step_edges e ON e.to_step_uuid = c.workflow_step_uuid
                      JOIN t p ON p.workflow_step_uuid = e.from_step_uuid
                     GROUP BY c.workflow_step_uuid, c.enq) g) AS handoff,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sub - run) * 1000) AS execute,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM done - sub) * 1000) AS process
      FROM t`;
  const [task] = await sql<Record<string, number>[]>`
    WITH k AS (
      SELECT k.created_at, k.completed_at,
             (SELECT min(tr.created_at) FROM tasker.workflow_step_transitions tr JOIN tasker.workflow_steps s USING (workflow_step_uuid)
               WHERE s.task_uuid = k.task_uuid AND tr.to_state = 'enqueued') AS first_enq,
             (SELECT max(tr.created_at) FROM tasker.workflow_step_transitions tr JOIN tasker.workflow_steps s USING (workflow_step_uuid)
               WHERE s.task_uuid = k.task_uuid AND tr.to_state = 'complete') AS last_done
        FROM tasker.tasks k
        JOIN tasker.named_tasks nt USING (named_task_uuid)
        JOIN tasker.task_namespaces ns USING (task_namespace_uuid)
       WHERE ns.name = ${namespace} AND k.idempotency_key LIKE ${like})
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_enq - created_at) * 1000) AS start,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - last_done) * 1000) AS finish
      FROM k`;
  const n = (v: number | undefined): number => (v === undefined || v === null ? Number.NaN : Number(v));
  return {
    pickupMs: n(row?.["pickup"]),
    executeMs: n(row?.["execute"]),
    processMs: n(row?.["process"]),
    handoffMs: n(row?.["handoff"]),
    startMs: n(task?.["start"]),
    finishMs: n(task?.["finish"]),
  };
}

export interface WholeTaskOptions {
  topologies: Topology[];
  workflows: Workflow[];
  warmup: number;
  pollMs: number;
  /** Extra environment for every role (e.g. telemetry on). */
  env?: Record<string, string>;
  log: (line: string) => void;
}

export async function benchWholeTasks(options: WholeTaskOptions): Promise<{ results: WholeTaskResult[]; memory: RoleMemory[] }> {
  const results: WholeTaskResult[] = [];
  const memory: RoleMemory[] = [];
  for (const topology of options.topologies) {
    await withBenchDatabase(`e2e_${topology}`, { migrate: false }, async ({ url }) => {
      const roles: RunningRole[] = [];
      try {
        const env = options.env ?? {};
        // Only the namespaces measured: a worker consumes every namespace it loads.
        const args = [...new Set(options.workflows.map((w) => w.namespace))].flatMap((ns) => ["--namespace", ns]);
        if (topology === "combined") roles.push(await startRole("combined", url, { env, args }));
        else {
          roles.push(await startRole("orchestration", url, { env }));
          roles.push(await startRole("worker", url, { env, args }));
        }
        const baseUrl = roles[0]!.baseUrl;
        await Bun.sleep(500);
        const idle = roles.map((r) => rssMiB(r.proc.pid));
        const sampler = sampleRss(roles.map((r) => r.proc.pid));
        const sql = postgres(url, { max: 1, onnotice: () => {} });
        try {
          for (const workflow of options.workflows) {
            for (let i = 0; i < options.warmup; i += 1) await runOneTask(sql, baseUrl, workflow, `warmup-${i}`, options.pollMs);
            const samples: Sample[] = [];
            for (let i = 0; i < workflow.count; i += 1) samples.push(await runOneTask(sql, baseUrl, workflow, `run-${i}`, options.pollMs));
            const result: WholeTaskResult = {
              topology,
              workflow: workflow.key,
              label: workflow.label,
              server: distribution(samples.map((s) => s.serverMs)),
              client: distribution(samples.map((s) => s.clientMs)),
              create: distribution(samples.map((s) => s.createMs)),
              hops: await hopBreakdown(sql, workflow.namespace),
            };
            results.push(result);
            options.log(
              `  ${topology.padEnd(9)} ${workflow.label.padEnd(20)} n=${samples.length} server p50/p95/p99 ` +
                `${fmt(result.server)} ms; client ${fmt(result.client)} ms; POST ${fmt(result.create)} ms; ` +
                `pickup ${result.hops.pickupMs.toFixed(2)} execute ${result.hops.executeMs.toFixed(2)} process ${result.hops.processMs.toFixed(2)} ms`,
            );
          }
        } finally {
          await sql.end({ timeout: 5 });
          const peaks = sampler.stop();
          roles.forEach((r, i) => memory.push({ role: r.role, topology, idleMiB: idle[i]!, peakMiB: peaks.get(r.proc.pid) ?? Number.NaN }));
        }
      } finally {
        const codes = await stopRoles(roles);
        if (codes.some((c) => c !== 0)) options.log(`  a tasker process exited with ${codes.join(", ")}`);
      }
    });
  }
  return { results, memory };
}

function fmt(d: Distribution): string {
  return `${d.p50.toFixed(1)}/${d.p95.toFixed(1)}/${d.p99.toFixed(1)}`;
}

if (import.meta.main) {
  const dag = positiveIntFlag("--dag", 50);
  await benchWholeTasks({
    topologies: ["combined", "separate"],
    workflows: shippedWorkflows({ linear: positiveIntFlag("--linear", 100), diamond: dag, dag }),
    warmup: 5,
    pollMs: positiveIntFlag("--poll-ms", 1),
    log: (line) => console.log(line),
  });
}
