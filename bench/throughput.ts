/**
 * Throughput at saturation: no-op steps per second with one and with two worker
 * processes (plus one orchestration process), and the database's own ceiling from
 * pgbench (single-row INSERT transactions) on the same server.
 *
 * The queue is filled first (tasks created over HTTP while no worker runs: every step of
 * the 10-step fan-out template is enqueued at creation), then the workers start; the rate
 * is complete steps / (last `complete` transition - first `in_progress` transition).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";
import { waitFor } from "../test/support/waitFor.ts";
import { withBenchDatabase } from "./support/benchDatabase.ts";
import { sampleThreadCpu, type ThreadGroup } from "./support/threadCpu.ts";
import { BENCH_HANDLERS, cpuSeconds, createTask, machineCpuSeconds, sampleRss, startRole, stopRoles, type RunningRole } from "./support/taskerRoles.ts";

const run = promisify(execFile);
/** application_name of the bench's own connections, left out of CPU and activity figures. */
const BENCH_APP = "tasker-bench";
/** PostgreSQL's PGSTAT_IDLE_INTERVAL (10 s) and a margin. */
const STATS_IDLE_FLUSH_MS = 10_500;

export interface ThroughputResult {
  workers: number;
  template: string;
  tasks: number;
  steps: number;
  stepsPerSecond: number;
  tasksPerSecond: number;
  /** Tasks created per second over HTTP (4 requests in flight) while filling the queue. */
  createPerSecond: number;
  peakRssMiB: Record<string, number>;
  /** CPU seconds each tasker process used while the queue drained, and the machine's busy share. */
  cpuSeconds: Record<string, number>;
  /** Each worker process's CPU seconds by thread group (main, handler threads, JIT, other); absent in older results. */
  workerThreadCpuSeconds?: Record<string, Record<ThreadGroup, number>>;
  machineBusyShare: number;
  wallSeconds: number;
  /**
   * Where active backends were, sampled from pg_stat_activity every 10 ms during the drain:
   * share of samples per (wait event, statement).
   */
  activity: Array<{ wait: string; query: string; share: number }>;
  /** pg_stat_database deltas over the drain, per step. */
  perStep: { commits: number; rowsInserted: number; rowsUpdated: number; rowsDeleted: number; postgresCpuMs: number };
  /** pg_stat_user_functions over the drain (track_functions = all), top by self time. */
  functions: Array<{ name: string; calls: number; totalMs: number; selfMs: number }>;
  /** pg_stat_statements over the drain (only with `statements`), top by execution time. */
  statements?: StatementCost[];
}

export interface StatementCost {
  /** Called by the client (true) or inside a function (false). */
  toplevel: boolean;
  calls: number;
  /** Execution time per step (ms), nested statements' time included in their caller's. */
  msPerStep: number;
  rowsPerCall: number;
  query: string;
}

async function inParallel(total: number, concurrency: number, body: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next;
        next += 1;
        if (i >= total) return;
        await body(i);
      }
    }),
  );
}

export interface ThroughputOptions {
  workers: number;
  /** Steps to run; tasks = steps / steps per task. */
  steps: number;
  /** noop_fanout: 10 independent steps per task (default); noop_single: one step per task. */
  template?: "noop_fanout" | "noop_single";
  env?: Record<string, string>;
  /**
   * Also record where the time goes (track_functions = all and pg_stat_activity sampled every
   * 10 ms). Both cost CPU on the machine being measured, so the headline rate comes from runs
   * without them, as the peer's does.
   */
  diagnose?: boolean;
  /**
   * Also read pg_stat_statements (track = all: statements inside functions too) over the drain.
   * The server must preload it (shared_preload_libraries); `statementProfile.ts` starts one that does.
   */
  statements?: boolean;
  /** The server to run on (an admin URL; default DATABASE_URL's). */
  adminUrl?: string;
  log: (l: string) => void;
}

export async function benchThroughput(options: ThroughputOptions): Promise<ThroughputResult> {
  const template = options.template ?? "noop_fanout";
  const stepsPerTask = template === "noop_fanout" ? 10 : 1;
  const taskCount = Math.ceil(options.steps / stepsPerTask);
  return withBenchDatabase(`throughput_${options.workers}`, { migrate: false, ...(options.adminUrl ? { adminUrl: options.adminUrl } : {}) }, async ({ name, url }) => {
    if (options.diagnose) {
      const admin = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`ALTER DATABASE "${name}" SET track_functions = 'all'`);
      } finally {
        await admin.end({ timeout: 5 });
      }
    }
    const roles: RunningRole[] = [];
    const workers: RunningRole[] = [];
    const env = options.env ?? {};
    try {
      roles.push(await startRole("orchestration", url, { env }));
      // A first worker registers the templates, then stops so the queue fills up.
      await stopRoles([await startRole("worker", url, { handlersDir: BENCH_HANDLERS, args: ["--namespace", "bench_noop"], env })]);
      const baseUrl = roles[0]!.baseUrl;
      const created = performance.now();
      await inParallel(taskCount, 4, async (i) => {
        await createTask(baseUrl, { namespace: "bench_noop", name: template, idempotency_key: `tp-${i}` });
      });
      const createPerSecond = taskCount / ((performance.now() - created) / 1000);
      const steps = taskCount * stepsPerTask;
      const sql = postgres(url, { max: 1, onnotice: () => {}, connection: { application_name: BENCH_APP } });
      // A backend that goes idle with statistics it could not report yet (it reported less than
      // a second ago) reports them 10 s later (PGSTAT_IDLE_INTERVAL): without this wait, the
      // creation phase's commits and rows land in the drain's counters.
      await Bun.sleep(STATS_IDLE_FLUSH_MS);
      await sql`SELECT pg_stat_reset()`;
      if (options.statements) {
        await sql`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`;
        await sql`SELECT pg_stat_statements_reset()`;
      }
      const dbBefore = await databaseCounters(sql);
      const backendCpuBefore = new Map((await backendPids(sql)).map((pid) => [pid, cpuSeconds(pid)]));
      const cpuBefore = new Map(roles.map((r) => [r.proc.pid, cpuSeconds(r.proc.pid)]));
      const machineBefore = machineCpuSeconds();
      const wallStart = performance.now();
      for (let w = 0; w < options.workers; w += 1) workers.push(await startRole("worker", url, { handlersDir: BENCH_HANDLERS, args: ["--namespace", "bench_noop"], env }));
      const sampler = sampleRss([...roles, ...workers].map((r) => r.proc.pid));
      const threadSampler = sampleThreadCpu(workers.map((r) => r.proc.pid));
      const activity = options.diagnose ? sampleActivity(url) : { stop: () => Promise.resolve([]) };
      try {
        await waitFor(
          async () => {
            const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM tasker.tasks WHERE state = 'complete'`;
            return row!.n >= taskCount;
          },
          { timeoutMs: 600_000, intervalMs: 100, description: `${taskCount} no-op tasks to complete` },
        );
        const peaks = sampler.stop();
        const threads = threadSampler.stop();
        const activitySamples = await activity.stop();
        const wallSeconds = (performance.now() - wallStart) / 1000;
        const machineAfter = machineCpuSeconds();
        const all = [...roles, ...workers];
        const cpu = Object.fromEntries(
          all.map((r, i) => [i === 0 ? "orchestration" : `worker_${i}`, cpuSeconds(r.proc.pid) - (cpuBefore.get(r.proc.pid) ?? 0)]),
        );
        cpu["postgres_backends"] = (await backendPids(sql)).reduce(
          (a, pid) => a + ((cpuSeconds(pid) || 0) - (backendCpuBefore.get(pid) ?? 0)), 0);
        // Statistics reach the views when the backends report: at their exit at the latest.
        await stopRoles([...workers, ...roles]);
        await Bun.sleep(300);
        const dbAfter = await databaseCounters(sql);
        const functions = await sql<Array<{ name: string; calls: number; totalMs: number; selfMs: number }>>`
          SELECT schemaname || '.' || funcname AS name, calls::int AS calls, total_time::float8 AS "totalMs", self_time::float8 AS "selfMs"
            FROM pg_stat_user_functions ORDER BY self_time DESC LIMIT 12`;
        const statements = options.statements ? await statementCosts(sql, steps) : undefined;
        const [row] = await sql<{ steps: number; seconds: number; task_seconds: number }[]>`
          SELECT count(*) FILTER (WHERE to_state = 'complete')::int AS steps,
                 extract(epoch FROM max(created_at) FILTER (WHERE to_state = 'complete')
                                   - min(created_at) FILTER (WHERE to_state = 'in_progress'))::float8 AS seconds,
                 (SELECT extract(epoch FROM max(completed_at) - min(tr.created_at))::float8
                    FROM tasker.tasks, tasker.workflow_step_transitions tr WHERE tr.to_state = 'in_progress') AS task_seconds
            FROM tasker.workflow_step_transitions`;
        const result: ThroughputResult = {
          workers: options.workers,
          template,
          tasks: taskCount,
          steps,
          stepsPerSecond: row!.steps / row!.seconds,
          tasksPerSecond: taskCount / row!.task_seconds,
          createPerSecond,
          peakRssMiB: Object.fromEntries(
            all.map((r, i) => [i === 0 ? "orchestration" : `worker_${i}`, peaks.get(r.proc.pid) ?? Number.NaN]),
          ),
          cpuSeconds: cpu,
          workerThreadCpuSeconds: Object.fromEntries(workers.map((r, i) => [`worker_${i + 1}`, threads.get(r.proc.pid)!])),
          machineBusyShare: (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total),
          wallSeconds,
          functions: [...functions],
          activity: activitySamples,
          ...(statements ? { statements } : {}),
          perStep: {
            commits: (dbAfter.commits - dbBefore.commits) / steps,
            rowsInserted: (dbAfter.inserted - dbBefore.inserted) / steps,
            rowsUpdated: (dbAfter.updated - dbBefore.updated) / steps,
            rowsDeleted: (dbAfter.deleted - dbBefore.deleted) / steps,
            postgresCpuMs: ((cpu["postgres_backends"] ?? Number.NaN) * 1000) / steps,
          },
        };
        options.log(
          `  ${options.workers} worker process(es), ${template}: ${result.stepsPerSecond.toFixed(0)} no-op steps/s ` +
            `(${row!.steps} steps in ${row!.seconds.toFixed(2)} s), ${result.tasksPerSecond.toFixed(0)} tasks/s; ` +
            `task creation over HTTP ${createPerSecond.toFixed(0)} tasks/s; CPU s ` +
            Object.entries(cpu).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ") +
            ` of ${wallSeconds.toFixed(2)} s wall, machine ${(result.machineBusyShare * 100).toFixed(0)}% busy`,
        );
        options.log(`  per step: ${result.perStep.commits.toFixed(1)} commits, ${result.perStep.rowsInserted.toFixed(1)} rows inserted, ` +
          `${result.perStep.rowsUpdated.toFixed(1)} updated, ${result.perStep.rowsDeleted.toFixed(1)} deleted, ${result.perStep.postgresCpuMs.toFixed(2)} ms PostgreSQL CPU`);
        options.log(`  active backends (pg_stat_activity samples): ${activitySamples.slice(0, 4).map((a) => `${(a.share * 100).toFixed(0)}% ${a.wait} in ${a.query}`).join("; ")}`);
        options.log(`  top SQL functions by self time: ${functions.slice(0, 5).map((f) => `${f.name} ${f.selfMs.toFixed(0)} ms/${f.calls}`).join(", ")}`);
        return result;
      } finally {
        sampler.stop();
        threadSampler.stop();
        await activity.stop();
        await sql.end({ timeout: 5 });
      }
    } finally {
      await stopRoles([...workers, ...roles]);
    }
  });
}

/** Samples the active backends of the database until stopped; returns shares of samples, largest first. */
function sampleActivity(url: string): { stop(): Promise<Array<{ wait: string; query: string; share: number }>> } {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connection: { application_name: BENCH_APP } });
  const counts = new Map<string, number>();
  let total = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const rows = await sql<{ wait: string; query: string }[]>`
        SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') AS wait,
               regexp_replace(left(query, 70), '[[:space:]]+', ' ', 'g') AS query
          FROM pg_stat_activity
         WHERE datname = current_database() AND application_name <> ${BENCH_APP} AND state = 'active'
           AND backend_type = 'client backend'`;
      for (const r of rows) {
        const key = `${r.wait}\u0000${r.query}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        total += 1;
      }
      await Bun.sleep(10);
    }
  })();
  let result: Promise<Array<{ wait: string; query: string; share: number }>> | undefined;
  return {
    stop() {
      result ??= (async () => {
        running = false;
        await loop.catch(() => {});
        await sql.end({ timeout: 5 });
        return [...counts.entries()]
          .map(([k, n]) => {
            const [wait, query] = k.split("\u0000");
            return { wait: wait!, query: query!, share: n / Math.max(1, total) };
          })
          .sort((a, b) => b.share - a.share)
          .slice(0, 12);
      })();
      return result;
    },
  };
}

/** The statements of this database (the bench's own left out) by execution time, per step. */
async function statementCosts(sql: postgres.Sql, steps: number): Promise<StatementCost[]> {
  const rows = await sql<Array<{ toplevel: boolean; calls: number; ms: number; rows: number; query: string }>>`
    SELECT s.toplevel, s.calls::float8 AS calls, s.total_exec_time AS ms, s.rows::float8 AS rows,
           regexp_replace(left(s.query, 400), '[[:space:]]+', ' ', 'g') AS query
      FROM pg_stat_statements s
     WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND s.query NOT LIKE '%pg_stat%' AND s.query NOT LIKE '%pg_database%'
     ORDER BY s.total_exec_time DESC
     LIMIT 40`;
  return rows.map((r) => ({
    toplevel: r.toplevel,
    calls: r.calls,
    msPerStep: r.ms / steps,
    rowsPerCall: r.rows / Math.max(1, r.calls),
    query: r.query.slice(0, 160),
  }));
}

async function backendPids(sql: postgres.Sql): Promise<number[]> {
  const rows = await sql<{ pid: number }[]>`
    SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name <> ${BENCH_APP} AND backend_type = 'client backend'`;
  return rows.map((r) => r.pid);
}

async function databaseCounters(sql: postgres.Sql): Promise<{ commits: number; inserted: number; updated: number; deleted: number }> {
  const [row] = await sql<{ commits: number; inserted: number; updated: number; deleted: number }[]>`
    SELECT xact_commit::float8 AS commits, tup_inserted::float8 AS inserted, tup_updated::float8 AS updated, tup_deleted::float8 AS deleted
      FROM pg_stat_database WHERE datname = current_database()`;
  return row!;
}

export function findPgbench(): string | undefined {
  for (const candidate of ["/usr/lib/postgresql/15/bin/pgbench", ...(process.env["PATH"] ?? "").split(":").map((d) => join(d, "pgbench"))]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export interface PgbenchResult {
  clients: number;
  seconds: number;
  tps: number;
  latencyMs: number;
}

/** pgbench with a custom script of one single-row INSERT per transaction. */
export async function benchPgbench(options: { clients: number[]; seconds: number; log: (l: string) => void }): Promise<PgbenchResult[] | { skipped: string }> {
  const bin = findPgbench();
  if (!bin) return { skipped: "pgbench not found" };
  return withBenchDatabase("pgbench", { migrate: false }, async ({ name, url }) => {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    const dir = mkdtempSync(join(tmpdir(), "tasker-pgbench-"));
    try {
      await sql`CREATE TABLE bench_insert (id bigserial PRIMARY KEY, v integer NOT NULL, at timestamptz NOT NULL DEFAULT now())`;
      const script = join(dir, "insert.sql");
      writeFileSync(script, "INSERT INTO bench_insert (v) VALUES (1);\n");
      const u = new URL(url);
      const results: PgbenchResult[] = [];
      for (const clients of options.clients) {
        const { stdout } = await run(bin, [
          "-n", "-f", script, "-c", String(clients), "-j", String(Math.min(clients, 2)), "-T", String(options.seconds),
          "-h", u.hostname, "-p", u.port || "5432", "-U", decodeURIComponent(u.username || "postgres"), name,
        ], { env: { ...process.env, ...(u.password ? { PGPASSWORD: decodeURIComponent(u.password) } : {}) } });
        const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1]);
        const latencyMs = Number(/latency average = ([\d.]+) ms/.exec(stdout)?.[1]);
        results.push({ clients, seconds: options.seconds, tps, latencyMs });
        options.log(`  pgbench single-row INSERT, ${clients} client(s): ${tps.toFixed(0)} tps, latency avg ${latencyMs.toFixed(2)} ms`);
      }
      return results;
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await sql.end({ timeout: 5 });
    }
  });
}
