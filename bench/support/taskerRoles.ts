/**
 * Starts roles of the compiled binary (`dist/tasker`) for the bench, waits for
 * /health/ready, samples their RSS, and stops them. Every process started here is
 * stopped by `stopRoles` (callers use it in a finally block).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, spawnTasker, type TaskerProcess } from "../../test/support/binary.ts";
import { freePort } from "../../test/support/ports.ts";
import { waitFor } from "../../test/support/waitFor.ts";
import { readProcStat } from "../../src/lib/procStat.ts";

export type Role = "combined" | "orchestration" | "worker";

export const SHIPPED_HANDLERS = join(REPO_ROOT, "handlers");
export const BENCH_HANDLERS = join(REPO_ROOT, "bench", "handlers");

export interface RunningRole {
  role: Role;
  proc: TaskerProcess;
  port: number;
  baseUrl: string;
  /** Milliseconds from spawn until /health/ready answered 200. */
  startupMs: number;
}

/** Every role started and not yet stopped, so an interrupted run can stop them (`stopAllOnSignal`). */
const running = new Set<TaskerProcess>();

/** On SIGINT/SIGTERM: SIGKILL every role this process started, then exit (finally blocks do not run on a signal). */
export function stopAllOnSignal(): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      for (const proc of running) proc.kill("SIGKILL");
      process.exit(130);
    });
  }
}

export interface StartOptions {
  handlersDir?: string;
  env?: Record<string, string>;
  /** Extra CLI flags. */
  args?: string[];
}

export async function startRole(role: Role, url: string, options: StartOptions = {}): Promise<RunningRole> {
  const port = await freePort();
  const args = ["--role", role, "--port", String(port), "--migrate", ...(options.args ?? [])];
  if (role !== "orchestration") args.push("--handlers", options.handlersDir ?? SHIPPED_HANDLERS);
  const started = performance.now();
  const proc = spawnTasker(args, {
    env: {
      TASKER_ENV: "production",
      DATABASE_URL: url,
      TASKER_TELEMETRY__LOG_FORMAT: "json",
      TASKER_TELEMETRY__LOG_LEVEL: "warn",
      // Any TASKER_* variable of the bench's own environment tunes the roles under test.
      ...Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k.startsWith("TASKER_") && v !== undefined)),
      ...options.env,
    },
  });
  running.add(proc);
  void proc.exited.then(() => running.delete(proc));
  const baseUrl = `http://127.0.0.1:${port}`;
  let settled = false;
  try {
    await Promise.race([
      waitFor(
        async () => (await fetch(`${baseUrl}/health/ready`).catch(() => undefined))?.status === 200,
        { timeoutMs: 30_000, intervalMs: 5, description: () => `${role} to be ready; stderr:\n${proc.stderr().slice(-2000)}` },
      ),
      // A process that exits while starting (bad configuration, say) fails at once.
      proc.exited.then((code) => {
        if (!settled) throw new Error(`${role} exited with ${code} while starting; stderr:\n${proc.stderr().slice(-2000)}`);
      }),
    ]).finally(() => {
      settled = true;
    });
  } catch (error) {
    proc.kill("SIGKILL");
    await proc.exited;
    throw error;
  }
  return { role, proc, port, baseUrl, startupMs: performance.now() - started };
}

/** SIGTERM to each, then waits; SIGKILL after `timeoutMs`. Returns exit codes. */
export async function stopRoles(roles: readonly RunningRole[], timeoutMs = 15_000): Promise<number[]> {
  for (const r of roles) r.proc.kill("SIGTERM");
  const timer = setTimeout(() => {
    for (const r of roles) r.proc.kill("SIGKILL");
  }, timeoutMs);
  try {
    return await Promise.all(roles.map((r) => r.proc.exited));
  } finally {
    clearTimeout(timer);
  }
}

/** Resident set size of a process in MiB (Linux /proc), or NaN when it is gone. */
export function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Samples the RSS of processes every `intervalMs` until stopped; reports the peak per pid. */
export function sampleRss(pids: readonly number[], intervalMs = 100): { stop(): Map<number, number> } {
  const peak = new Map<number, number>();
  const sample = (): void => {
    for (const pid of pids) {
      const v = rssMiB(pid);
      if (Number.isFinite(v)) peak.set(pid, Math.max(peak.get(pid) ?? 0, v));
    }
  };
  return sampleEvery(intervalMs, sample, () => peak);
}

/** Runs `sample` now and every `intervalMs`; `stop` takes a last sample and returns `result()`. */
export function sampleEvery<T>(intervalMs: number, sample: () => void, result: () => T): { stop(): T } {
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return result();
    },
  };
}

export interface CreatedTask {
  taskUuid: string;
  /** POST /v1/tasks round trip, ms. */
  requestMs: number;
}

export async function createTask(
  baseUrl: string,
  body: { namespace: string; name: string; context?: Record<string, unknown>; idempotency_key: string },
): Promise<CreatedTask> {
  const sent = performance.now();
  const res = await fetch(`${baseUrl}/v1/tasks`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ version: "1.0.0", context: {}, ...body }),
  });
  const json = (await res.json()) as { task_uuid?: string };
  const requestMs = performance.now() - sent;
  if (res.status !== 201 || !json.task_uuid) throw new Error(`POST /v1/tasks answered ${res.status}: ${JSON.stringify(json)}`);
  return { taskUuid: json.task_uuid, requestMs };
}

/** CPU seconds (user + system) a process has used so far (Linux /proc), or NaN when it is gone. */
export function cpuSeconds(pid: number): number {
  const stat = readProcStat(`/proc/${pid}/stat`);
  return stat ? stat.cpuTicks / 100 : Number.NaN;
}

/** Busy and total CPU seconds of the whole machine so far (/proc/stat, 100 Hz ticks). */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: (total - idle) / 100, total: total / 100 };
}
