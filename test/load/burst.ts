/**
 * A burst of tasks created through the API as fast as one client can send them, against the
 * compiled binary (`--role combined`, or `--split` for an orchestration and a worker process),
 * with the no-op fixture namespace `load_noop` (two steps per task). It reports throughput,
 * the peak depth of every queue and the RSS of each process, and checks that every created
 * task completed with each step's result recorded once.
 *
 *   bun test/load/burst.ts [--tasks 10000] [--concurrency 64] [--split]   (npm run test:load)
 *
 * `test/load/burst.test.ts` runs a short burst in `npm test`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import postgres, { type Sql } from "postgres";
import { REPO_ROOT, spawnTasker, type TaskerProcess } from "../support/binary.ts";
import { freePort } from "../support/ports.ts";
import { waitFor } from "../support/waitFor.ts";

export const LOAD_HANDLERS = join(REPO_ROOT, "test", "fixtures", "handlers");
const TASK = { namespace: "load_noop", name: "noop_pair", version: "1.0.0", context: {} };

export interface BurstOptions {
  databaseUrl: string;
  tasks: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** An orchestration and a worker process instead of one combined process. */
  split?: boolean;
  /** Extra environment for the processes (config overrides). */
  env?: Record<string, string>;
  log?: (line: string) => void;
}

export interface ProcessMemory {
  role: string;
  pid: number;
  baselineRssMb: number;
  peakRssMb: number;
  finalRssMb: number;
}

export interface BurstReport {
  tasksRequested: number;
  tasksCreated: number;
  tasksCompleted: number;
  /** Created (201) but not complete when the run ended. */
  lost: number;
  /** Steps whose audit shows more than one recorded result. */
  duplicateResults: number;
  stepsCompleted: number;
  /** 503 BACKPRESSURE answers the client waited out and retried. */
  backpressureRetries: number;
  /** Answers other than 201 and 503 BACKPRESSURE. */
  failedRequests: number;
  sendSeconds: number;
  totalSeconds: number;
  createdPerSecond: number;
  tasksPerSecond: number;
  stepsPerSecond: number;
  peakQueueDepth: Record<string, number>;
  processes: ProcessMemory[];
  /** Lines the processes logged at error level or above. */
  errorLogLines: string[];
}

/** VmRSS of a live process in MB, from /proc. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

interface Started {
  role: string;
  proc: TaskerProcess;
  baseUrl: string;
}

async function startProcess(role: string, options: BurstOptions): Promise<Started> {
  const port = await freePort();
  const args = ["--role", role, "--port", String(port)];
  if (role !== "orchestration") args.push("--handlers", LOAD_HANDLERS, "--namespace", "load_noop");
  const proc = spawnTasker(args, {
    env: {
      DATABASE_URL: options.databaseUrl,
      TASKER_DATABASE__MIGRATE_ON_START: "true",
      TASKER_TELEMETRY__LOG_FORMAT: "json",
      // Lifecycle events at info would be ~15 lines per task: only problems are kept.
      TASKER_TELEMETRY__LOG_LEVEL: "warn",
      ...options.env,
    },
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  let exited = false;
  void proc.exited.then(() => {
    exited = true;
  });
  await waitFor(
    async () => {
      if (exited) throw new Error(`tasker --role ${role} exited while starting:\n${proc.stderr().slice(-3000)}`);
      const response = await fetch(`${baseUrl}/health/ready`).catch(() => undefined);
      return response?.status === 200;
    },
    { timeoutMs: 30_000, intervalMs: 100, description: () => `tasker --role ${role} to be ready; stderr:\n${proc.stderr().slice(-2000)}` },
  ).catch((error: unknown) => {
    proc.kill("SIGKILL");
    throw error;
  });
  return { role, proc, baseUrl };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends `total` create requests with `concurrency` in flight; 503 BACKPRESSURE is waited out and retried. */
async function sendBurst(baseUrl: string, total: number, concurrency: number): Promise<{ created: number; retries: number; failed: string[] }> {
  let next = 0;
  let created = 0;
  let retries = 0;
  const failed: string[] = [];
  const body = JSON.stringify(TASK);
  const sendOne = async (): Promise<void> => {
    for (;;) {
      const response = await fetch(`${baseUrl}/v1/tasks`, { method: "POST", headers: { "content-type": "application/json" }, body });
      const text = await response.text();
      if (response.status === 201) {
        created++;
        return;
      }
      if (response.status === 503 && text.includes("BACKPRESSURE")) {
        retries++;
        await sleep(Number(response.headers.get("retry-after") ?? "1") * 1000);
        continue;
      }
      failed.push(`${response.status} ${text.slice(0, 300)}`);
      return;
    }
  };
  const lanes = Array.from({ length: Math.min(concurrency, total) }, async () => {
    while (next < total) {
      next++;
      await sendOne();
    }
  });
  await Promise.all(lanes);
  return { created, retries, failed };
}

/** Samples queue depths and process RSS every `intervalMs` until stopped. */
function startSampler(sql: Sql, processes: Started[], intervalMs: number) {
  const peakQueueDepth: Record<string, number> = {};
  const peakRss = new Map<number, number>();
  let running = true;
  const sample = async (): Promise<void> => {
    for (const p of processes) {
      try {
        peakRss.set(p.proc.pid, Math.max(peakRss.get(p.proc.pid) ?? 0, rssMb(p.proc.pid)));
      } catch {
        // The process is gone; the run reports it by its exit.
      }
    }
    const rows = await sql<{ queue_name: string; queue_length: string }[]>`SELECT queue_name, queue_length FROM pgmq.metrics_all()`;
    for (const row of rows) peakQueueDepth[row.queue_name] = Math.max(peakQueueDepth[row.queue_name] ?? 0, Number(row.queue_length));
  };
  const loop = (async () => {
    while (running) {
      await sample().catch(() => undefined);
      await sleep(intervalMs);
    }
  })();
  return {
    peakQueueDepth,
    peakRss,
    async stop(): Promise<void> {
      running = false;
      await loop;
      await sample().catch(() => undefined);
    },
  };
}

async function counts(sql: Sql): Promise<{ tasks: number; complete: number; steps: number; duplicates: number }> {
  const [row] = await sql<{ tasks: number; complete: number; steps: number; duplicates: number }[]>`
    SELECT (SELECT count(*) FROM tasker.tasks)::int AS tasks,
           (SELECT count(*) FROM tasker.tasks WHERE state = 'complete')::int AS complete,
           (SELECT count(*) FROM tasker.workflow_steps WHERE state = 'complete')::int AS steps,
           (SELECT count(*) FROM (
              SELECT workflow_step_uuid FROM tasker.workflow_step_result_audit
               GROUP BY workflow_step_uuid HAVING count(*) > 1) d)::int AS duplicates`;
  return row!;
}

/** Runs one burst and returns its report; the processes are stopped before it returns. */
export async function runBurst(options: BurstOptions): Promise<BurstReport> {
  const log = options.log ?? (() => {});
  const concurrency = options.concurrency ?? 64;
  const roles = options.split ? ["orchestration", "worker"] : ["combined"];
  const processes: Started[] = [];
  const sql = postgres(options.databaseUrl, { max: 2, onnotice: () => {} });
  try {
    for (const role of roles) processes.push(await startProcess(role, options));
    const api = processes[0]!.baseUrl;
    // Warm-up: one task end to end (loads the template cache, creates the namespace's queue).
    await sendBurst(api, 1, 1);
    await waitFor(async () => (await counts(sql)).complete === 1, { timeoutMs: 30_000, description: "the warm-up task" });
    const baseline = new Map(processes.map((p) => [p.proc.pid, rssMb(p.proc.pid)]));
    const before = await counts(sql);
    const sampler = startSampler(sql, processes, 250);
    log(`sending ${options.tasks} tasks with ${concurrency} requests in flight to ${roles.join(" + ")}`);
    const started = performance.now();
    const sent = await sendBurst(api, options.tasks, concurrency);
    const sendSeconds = (performance.now() - started) / 1000;
    log(`sent in ${sendSeconds.toFixed(1)} s: ${sent.created} created, ${sent.retries} backpressure retries, ${sent.failed.length} failed`);
    const expected = before.complete + sent.created;
    let last = before;
    await waitFor(
      async () => {
        last = await counts(sql);
        return last.complete >= expected;
      },
      {
        timeoutMs: 60_000 + options.tasks * 30,
        intervalMs: 250,
        description: () => `all ${sent.created} tasks to complete (${last.complete - before.complete} did)`,
      },
    ).catch((error: unknown) => log(String(error)));
    const totalSeconds = (performance.now() - started) / 1000;
    await sampler.stop();
    const after = await counts(sql);
    const tasksCompleted = after.complete - before.complete;
    const stepsCompleted = after.steps - before.steps;
    const report: BurstReport = {
      tasksRequested: options.tasks,
      tasksCreated: sent.created,
      tasksCompleted,
      lost: sent.created - tasksCompleted,
      duplicateResults: after.duplicates,
      stepsCompleted,
      backpressureRetries: sent.retries,
      failedRequests: sent.failed.length,
      sendSeconds: round(sendSeconds),
      totalSeconds: round(totalSeconds),
      createdPerSecond: round(sent.created / sendSeconds),
      tasksPerSecond: round(tasksCompleted / totalSeconds),
      stepsPerSecond: round(stepsCompleted / totalSeconds),
      peakQueueDepth: sampler.peakQueueDepth,
      processes: processes.map((p) => ({
        role: p.role,
        pid: p.proc.pid,
        baselineRssMb: baseline.get(p.proc.pid) ?? 0,
        peakRssMb: sampler.peakRss.get(p.proc.pid) ?? 0,
        finalRssMb: rssMb(p.proc.pid),
      })),
      errorLogLines: processes.flatMap((p) =>
        p.proc.logs().filter((l) => ["error", "fatal"].includes(String(l["level"]))).map((l) => `${p.role}: ${JSON.stringify(l).slice(0, 500)}`),
      ),
    };
    if (sent.failed.length > 0) log(`first failed answers:\n  ${sent.failed.slice(0, 5).join("\n  ")}`);
    return report;
  } finally {
    for (const p of processes) p.proc.kill("SIGTERM");
    await Promise.all(processes.map((p) => p.proc.exited));
    await sql.end({ timeout: 5 });
  }
}

const round = (n: number): number => Math.round(n * 10) / 10;

export function formatReport(r: BurstReport): string {
  const depth = Object.entries(r.peakQueueDepth).map(([q, d]) => `${q}=${d}`).join(", ");
  const memory = r.processes
    .map((p) => `${p.role} pid ${p.pid}: baseline ${p.baselineRssMb} MB, peak ${p.peakRssMb} MB, final ${p.finalRssMb} MB`)
    .join("\n  ");
  return [
    `burst: ${r.tasksRequested} tasks requested, ${r.tasksCreated} created, ${r.tasksCompleted} completed, lost ${r.lost}, duplicate results ${r.duplicateResults}`,
    `  requests: ${r.failedRequests} failed, ${r.backpressureRetries} backpressure retries; sent in ${r.sendSeconds} s (${r.createdPerSecond} tasks/s created)`,
    `  throughput: ${r.tasksPerSecond} tasks/s, ${r.stepsPerSecond} steps/s (${r.stepsCompleted} steps in ${r.totalSeconds} s, from the first request to the last completion)`,
    `  peak queue depth: ${depth}`,
    `  ${memory}`,
    `  error log lines: ${r.errorLogLines.length}`,
  ].join("\n");
}

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
}

if (import.meta.main) {
  const { createEmptyDatabase, stopTestServer } = await import("../support/database.ts");
  const args = process.argv.slice(2);
  const tasks = flag(args, "--tasks", 10_000);
  const db = await createEmptyDatabase("load_burst");
  let failed = true;
  try {
    const report = await runBurst({
      databaseUrl: db.url,
      tasks,
      concurrency: flag(args, "--concurrency", 64),
      split: args.includes("--split"),
      // Any TASKER_* variable of this environment tunes the processes under test.
      env: Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith("TASKER_") && e[1] !== undefined)),
      log: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(`${formatReport(report)}\n`);
    for (const line of report.errorLogLines.slice(0, 10)) process.stdout.write(`  ${line}\n`);
    failed = report.lost !== 0 || report.duplicateResults !== 0 || report.failedRequests !== 0 || report.tasksCreated !== tasks;
    process.stdout.write(failed ? "FAILED\n" : "ok\n");
  } finally {
    if (!failed) await db.drop();
    else process.stdout.write(`kept database ${db.name} for inspection: ${db.url}\n`);
    await stopTestServer();
  }
  process.exit(failed ? 1 : 0);
}
