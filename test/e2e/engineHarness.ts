/**
 * Shared by the engine e2e files: starting roles of the compiled binary, the
 * HTTP calls a client makes, and the reads a test needs from the database and
 * from the fixture handlers' execution records (test/fixtures/handlers/README.md).
 */
import { join } from "node:path";
import type { Sql } from "postgres";
import { REPO_ROOT, spawnTasker, type SpawnOptions, type TaskerProcess } from "../support/binary.ts";
import { freePort } from "../support/ports.ts";
import { waitFor } from "../support/waitFor.ts";

export const SHIPPED_HANDLERS = join(REPO_ROOT, "handlers");
export const FIXTURE_HANDLERS = join(REPO_ROOT, "test", "fixtures", "handlers");

export type Role = "combined" | "orchestration" | "worker";

export interface RoleProcess extends TaskerProcess {
  readonly role: Role;
  readonly port: number;
  readonly baseUrl: string;
  /** The process id it registered in tasker.processes (worker_uuid / claimed_by of its steps). */
  readonly processId: string;
}

export interface StartRoleOptions {
  databaseUrl: string;
  handlersDir?: string;
  namespaces?: string[];
  env?: Record<string, string>;
  /** How to start tasker (default: the compiled binary). */
  spawn?: (args: string[], options: SpawnOptions) => TaskerProcess;
}

/** Spawns one role with JSON logs at info level and waits for its `ready` line. */
export async function startRole(role: Role, options: StartRoleOptions): Promise<RoleProcess> {
  const port = await freePort();
  const args = ["--role", role, "--port", String(port)];
  if (role !== "orchestration") {
    args.push("--handlers", options.handlersDir ?? SHIPPED_HANDLERS);
    for (const ns of options.namespaces ?? []) args.push("--namespace", ns);
  }
  const proc = (options.spawn ?? spawnTasker)(args, {
    env: {
      DATABASE_URL: options.databaseUrl,
      TASKER_TELEMETRY__LOG_FORMAT: "json",
      TASKER_TELEMETRY__LOG_LEVEL: "info",
      ...options.env,
    },
  });
  let ready: Record<string, unknown>;
  try {
    ready = await proc.waitForLog((l) => l["msg"] === "ready", 20_000);
  } catch (error) {
    proc.kill("SIGKILL");
    await proc.exited;
    throw error;
  }
  return Object.assign(proc, { role, port, baseUrl: `http://127.0.0.1:${port}`, processId: String(ready["process_id"]) });
}

/** Stops processes that may still run (SIGKILL: cleanup after a test, not a behaviour under test). */
export async function killAll(procs: Iterable<TaskerProcess | undefined>): Promise<void> {
  const list = [...procs].filter((p): p is TaskerProcess => p !== undefined);
  for (const p of list) p.kill("SIGKILL");
  await Promise.all(list.map((p) => p.exited));
}

export interface StepResponse {
  workflow_step_uuid: string;
  name: string;
  current_state: string;
  attempts: number;
  results: {
    success: boolean;
    result: unknown;
    error: { error_type: string; message: string; retryable: boolean } | null;
    metadata: { started_at: string; completed_at: string; worker_id: string; attempt: number };
  } | null;
}

export interface TaskResponse {
  task_uuid: string;
  status: string;
  correlation_id: string;
  steps: StepResponse[];
}

export interface TaskRequest {
  namespace: string;
  name: string;
  version: string;
  context?: Record<string, unknown>;
  idempotency_key?: string;
  tags?: string[];
}

/** POST /v1/tasks; the raw status and JSON body, for tests of refusals. */
export async function postTask(baseUrl: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${baseUrl}/v1/tasks`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** POST /v1/tasks expecting 201; the TaskResponse. */
export async function createTask(baseUrl: string, request: TaskRequest): Promise<TaskResponse> {
  const { status, body } = await postTask(baseUrl, request);
  if (status !== 201) throw new Error(`POST /v1/tasks answered ${status}: ${JSON.stringify(body)}`);
  return body as TaskResponse;
}

export async function getTask(baseUrl: string, taskUuid: string): Promise<TaskResponse> {
  const res = await fetch(`${baseUrl}/v1/tasks/${taskUuid}`);
  if (res.status !== 200) throw new Error(`GET /v1/tasks/${taskUuid} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as TaskResponse;
}

export async function taskStates(sql: Sql, taskUuids: readonly string[]): Promise<Map<string, string>> {
  const rows = await sql<{ task_uuid: string; state: string }[]>`
    SELECT task_uuid::text, state FROM tasker.tasks WHERE task_uuid = ANY(${taskUuids}::uuid[])`;
  return new Map(rows.map((r) => [r.task_uuid, r.state]));
}

/** Waits (read from the database, so it works while any process is down) until every task is in one of `states`. */
export async function waitForTasks(
  sql: Sql,
  taskUuids: readonly string[],
  states: readonly string[],
  timeoutMs = 20_000,
): Promise<void> {
  let last = new Map<string, string>();
  await waitFor(
    async () => {
      last = await taskStates(sql, taskUuids);
      return taskUuids.every((uuid) => states.includes(last.get(uuid) ?? ""));
    },
    {
      timeoutMs,
      intervalMs: 50,
      description: () => {
        const counts: Record<string, number> = {};
        for (const uuid of taskUuids) counts[last.get(uuid) ?? "missing"] = (counts[last.get(uuid) ?? "missing"] ?? 0) + 1;
        return `${taskUuids.length} task(s) to reach ${states.join("|")}; now ${JSON.stringify(counts)}`;
      },
    },
  );
}

export function stepNamed(task: TaskResponse, name: string): StepResponse {
  const step = task.steps.find((s) => s.name === name);
  if (!step) throw new Error(`task ${task.task_uuid} has no step "${name}" (has ${task.steps.map((s) => s.name).join(", ")})`);
  return step;
}

export function resultValue(step: StepResponse): unknown {
  return (step.results?.result as { value?: unknown } | null)?.value;
}

/** One fixture handler execution, as logged by `fixture step started` / `fixture step finished`. */
export interface Execution {
  step_uuid: string;
  step_name: string;
  attempt: number;
  pid: number;
}

/** The executions that `procs` logged with message `msg` (started by default). */
export function executions(procs: Iterable<TaskerProcess>, msg = "fixture step started"): Execution[] {
  return [...procs].flatMap((p) =>
    p.logs().flatMap((l) => (l["msg"] === msg && typeof l["execution"] === "object" ? [l["execution"] as Execution] : [])),
  );
}

/** (step, attempt) pairs that were executed more than once, as "uuid#attempt". */
export function duplicateExecutions(list: readonly Execution[]): string[] {
  const seen = new Map<string, number>();
  for (const e of list) seen.set(`${e.step_uuid}#${e.attempt}`, (seen.get(`${e.step_uuid}#${e.attempt}`) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([key]) => key);
}

export interface AuditRow {
  workflow_step_uuid: string;
  attempt: number;
  success: boolean;
  worker_uuid: string | null;
}

export async function auditRows(sql: Sql, taskUuids: readonly string[]): Promise<AuditRow[]> {
  return sql<AuditRow[]>`
    SELECT workflow_step_uuid::text, attempt, success, worker_uuid::text
      FROM tasker.workflow_step_result_audit
     WHERE task_uuid = ANY(${taskUuids}::uuid[])
     ORDER BY workflow_step_uuid, attempt`;
}
