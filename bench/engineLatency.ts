/**
 * End-to-end latency of the compiled binary: a task created over HTTP until it is
 * `complete`, one task at a time (no queueing behind other tasks).
 *
 *   node_modules/.bin/bun run build && node_modules/.bin/bun bench/engineLatency.ts [--linear N] [--dag N] [--poll-ms N]
 *
 * For each topology (one `--role combined` process; a `--role orchestration` plus a
 * `--role worker` process) on a fresh database, it runs a few warm-up tasks, then
 * N linear_workflow/mathematical_sequence tasks (4 steps in a row) and N
 * mixed_dag_workflow/complex_dag tasks (7 steps, 2 joins), and prints p50/p95/p99 of:
 *   - server: `completed_at - created_at` of the task row (both stamped by PostgreSQL's
 *     clock_timestamp(), so no polling error; excludes the HTTP round trip);
 *   - client: POST /v1/tasks sent until a query sees `state = 'complete'`. The task row
 *     is polled every 1 ms on a dedicated connection, so this includes the HTTP call, the
 *     response and up to ~1 ms of polling delay (`--poll-ms` changes the interval; with 20 the
 *     server figures barely move, so the polling load does not skew them).
 * Measures only; it asserts nothing about time. Environment: TASKER_ENV=production,
 * log level warn, the shipped `handlers/`. DATABASE_URL picks the server (a database
 * `tasker_bench_<pid>_<n>` is created there and dropped at the end), default
 * postgres://postgres@127.0.0.1:5432/postgres.
 */
import { join } from "node:path";
import postgres, { type Sql } from "postgres";
import { REPO_ROOT, spawnTasker, type TaskerProcess } from "../test/support/binary.ts";
import { freePort } from "../test/support/ports.ts";
import { withDatabase } from "../test/support/postgres.ts";
import { waitFor } from "../test/support/waitFor.ts";

const ADMIN_URL = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
const WARMUP = 5;
const POLL_MS = flagValue("--poll-ms", 1);

function flagValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const raw = i >= 0 ? process.argv[i + 1] : undefined;
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return n;
}

interface Workflow {
  label: string;
  namespace: string;
  name: string;
  count: number;
}

const WORKFLOWS: Workflow[] = [
  { label: "linear (4 steps)", namespace: "linear_workflow", name: "mathematical_sequence", count: flagValue("--linear", 100) },
  { label: "mixed DAG (7 steps)", namespace: "mixed_dag_workflow", name: "complex_dag", count: flagValue("--dag", 50) },
];

interface Sample {
  serverMs: number;
  clientMs: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (n: number) => n.toFixed(1).padStart(7);
  return `${f(percentile(sorted, 50))} ${f(percentile(sorted, 95))} ${f(percentile(sorted, 99))}`;
}

async function withFreshDatabase<T>(label: string, body: (url: string) => Promise<T>): Promise<T> {
  const name = `tasker_bench_${process.pid}_${label}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.unsafe(`CREATE DATABASE "${name}"`);
    try {
      return await body(withDatabase(ADMIN_URL, name));
    } finally {
      await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
}

async function start(role: "combined" | "orchestration" | "worker", url: string): Promise<{ proc: TaskerProcess; port: number }> {
  const port = await freePort();
  const args = ["--role", role, "--port", String(port), "--migrate"];
  if (role !== "orchestration") args.push("--handlers", join(REPO_ROOT, "handlers"));
  const proc = spawnTasker(args, {
    env: { TASKER_ENV: "production", DATABASE_URL: url, TASKER_TELEMETRY__LOG_FORMAT: "json", TASKER_TELEMETRY__LOG_LEVEL: "warn" },
  });
  await waitFor(
    async () => (await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined))?.status === 200,
    { timeoutMs: 30_000, description: () => `${role} to be ready; stderr:\n${proc.stderr().slice(-2000)}` },
  );
  return { proc, port };
}

async function runOne(sql: Sql, baseUrl: string, workflow: Workflow, key: string): Promise<Sample> {
  const sent = performance.now();
  const res = await fetch(`${baseUrl}/v1/tasks`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      namespace: workflow.namespace,
      name: workflow.name,
      version: "1.0.0",
      context: { even_number: 6 },
      idempotency_key: key,
    }),
  });
  const body = (await res.json()) as { task_uuid?: string };
  if (res.status !== 201 || !body.task_uuid) throw new Error(`POST /v1/tasks answered ${res.status}: ${JSON.stringify(body)}`);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [row] = await sql<{ state: string; server_ms: number | null }[]>`
      SELECT state, (extract(epoch FROM completed_at - created_at) * 1000)::float8 AS server_ms
        FROM tasker.tasks WHERE task_uuid = ${body.task_uuid}::uuid`;
    if (row?.state === "complete") return { serverMs: row.server_ms ?? Number.NaN, clientMs: performance.now() - sent };
    if (row && !["pending", "initializing", "enqueuing_steps", "steps_in_process", "evaluating_results", "waiting_for_dependencies", "waiting_for_retry"].includes(row.state)) {
      throw new Error(`task ${body.task_uuid} ended in ${row.state}`);
    }
    if (Date.now() > deadline) throw new Error(`task ${body.task_uuid} did not complete within 30 s (state ${row?.state})`);
    await Bun.sleep(POLL_MS);
  }
}

/**
 * Where a step's time goes, median over every step of the measured tasks, from the
 * transition timestamps (clock_timestamp() in the same transactions that change state).
 */
async function hopBreakdown(sql: Sql, namespace: string): Promise<string> {
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
       WHERE ns.name = ${namespace} AND k.idempotency_key LIKE 'run-%'
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
       WHERE ns.name = ${namespace} AND k.idempotency_key LIKE 'run-%')
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_enq - created_at) * 1000) AS start,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - last_done) * 1000) AS finish
      FROM k`;
  const f = (n: number | undefined) => (n ?? Number.NaN).toFixed(2);
  return `per step, median: enqueued->in_progress ${f(row?.["pickup"])} ms (delivery + claim), ` +
    `in_progress->enqueued_for_orchestration ${f(row?.["execute"])} ms (handler + submit), ` +
    `->complete ${f(row?.["process"])} ms (notice delivery + result processing), ` +
    `last parent complete->enqueued ${f(row?.["handoff"])} ms; per task, median: ` +
    `created->first step enqueued ${f(task?.["start"])} ms, last step complete->task complete ${f(task?.["finish"])} ms`;
}

async function benchTopology(topology: "combined" | "separate"): Promise<void> {
  await withFreshDatabase(topology, async (url) => {
    const procs: TaskerProcess[] = [];
    try {
      let port: number;
      if (topology === "combined") {
        const combined = await start("combined", url);
        procs.push(combined.proc);
        port = combined.port;
      } else {
        const orchestration = await start("orchestration", url);
        procs.push(orchestration.proc);
        procs.push((await start("worker", url)).proc);
        port = orchestration.port;
      }
      const baseUrl = `http://127.0.0.1:${port}`;
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        for (const workflow of WORKFLOWS) {
          for (let i = 0; i < WARMUP; i += 1) await runOne(sql, baseUrl, workflow, `warmup-${i}`);
          const samples: Sample[] = [];
          for (let i = 0; i < workflow.count; i += 1) samples.push(await runOne(sql, baseUrl, workflow, `run-${i}`));
          console.log(
            `${topology.padEnd(9)} ${workflow.label.padEnd(20)} ${String(samples.length).padStart(4)}  ` +
              `${summary(samples.map((s) => s.serverMs))}   ${summary(samples.map((s) => s.clientMs))}`,
          );
          console.log(`          ${await hopBreakdown(sql, workflow.namespace)}`);
        }
      } finally {
        await sql.end({ timeout: 5 });
      }
    } finally {
      for (const p of procs) p.kill("SIGTERM");
      const codes = await Promise.all(procs.map((p) => p.exited));
      if (codes.some((c) => c !== 0)) console.error(`a tasker process exited with ${codes.join(", ")}`);
    }
  });
}

console.log(`tasker engine latency, ms (one task at a time; ${WARMUP} warm-up tasks per workflow not counted)`);
console.log(`${"topology".padEnd(9)} ${"workflow".padEnd(20)} ${"n".padStart(4)}  ${"server: completed_at - created_at".padEnd(23)}   client: POST until complete seen (${POLL_MS} ms DB poll)`);
console.log(`${"".padEnd(36)}    p50     p95     p99       p50     p95     p99`);
await benchTopology("combined");
await benchTopology("separate");
