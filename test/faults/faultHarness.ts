/**
 * Shared by the fault suite: run sizes (short under `npm test`, full under
 * `npm run test:faults` with FAULTS_FULL=1), the mixed task shapes, a chaos
 * driver that kill -9s and restarts processes, and the invariants every run
 * must keep (nothing lost, one result per step, no attempt run twice).
 */
import type { Sql } from "postgres";
import { waitFor } from "../support/waitFor.ts";
import {
  createTask,
  duplicateExecutions,
  executions,
  FIXTURE_HANDLERS,
  startRole,
  type Execution,
  type RoleProcess,
  type TaskRequest,
} from "../e2e/engineHarness.ts";

export const FULL = process.env["FAULTS_FULL"] === "1";

/** Picks the short or the full figure. */
export const size = <T>(short: T, full: T): T => (FULL ? full : short);

/** Per test: a full run may take minutes on 2 shared cores. */
export const FAULT_TEST_TIMEOUT_MS = size(90_000, 900_000);

export const MIXED_NAMESPACE = "fault_mixed";

/** Steps per template of fault_mixed, and the value its last step computes. */
export const MIXED_SHAPES = [
  { name: "chain", steps: 3, last: "third", value: 4 },
  { name: "diamond", steps: 4, last: "join", value: 6 },
  { name: "fan", steps: 6, last: "gather", value: 9 },
] as const;

/** The i-th task of a mixed run: shapes in turn, step times 0..maxStepMs. */
export function mixedTask(i: number, maxStepMs: number): TaskRequest {
  const shape = MIXED_SHAPES[i % MIXED_SHAPES.length]!;
  return { namespace: MIXED_NAMESPACE, name: shape.name, version: "1.0.0", context: { step_ms: (i * 37) % (maxStepMs + 1), n: i } };
}

export const startMixedRole = (role: PoolRole, databaseUrl: string, env: Record<string, string> = {}): Promise<RoleProcess> =>
  startRole(role, { databaseUrl, handlersDir: FIXTURE_HANDLERS, namespaces: [MIXED_NAMESPACE], env });

/**
 * Creates `count` tasks, `concurrency` requests at a time, the i-th not before `i * spacingMs`
 * (a paced run keeps work arriving while the chaos driver kills), spread over `targets()`.
 */
export async function createMany(
  count: number,
  options: { concurrency: number; spacingMs: number; retryServerErrors?: boolean },
  request: (i: number) => TaskRequest,
  targets: () => RoleProcess[],
): Promise<string[] & { unanswered: number }> {
  const uuids: string[] = [];
  let unanswered = 0;
  const started = Date.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const due = started + i * options.spacingMs - Date.now();
      if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
      for (let tries = 1; ; tries += 1) {
        const live = targets();
        const target = live[(i + tries) % live.length]!;
        try {
          uuids.push((await createTask(target.baseUrl, request(i))).task_uuid);
          break;
        } catch (error) {
          // The orchestrator was killed under the request (TypeError: the connection broke), or,
          // when allowed, its database connection failed (500): the outcome is unknown (the
          // callers check every task in the database), so the request is sent again.
          const serverError = options.retryServerErrors === true && /answered 5\d\d/.test((error as Error).message);
          if (!(error instanceof TypeError || serverError) || tries >= 20) throw error;
          unanswered += 1;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, lane));
  return Object.assign(uuids, { unanswered });
}

/** Handler executions started on a killed process that never logged their end: steps the kills interrupted. */
export function interruptedExecutions(procs: Iterable<RoleProcess>, killedPids: ReadonlySet<number>): number {
  const list = [...procs];
  const finished = new Set(executions(list, "fixture step finished").map((e) => `${e.step_uuid}#${e.attempt}`));
  return executions(list).filter((e) => killedPids.has(e.pid) && !finished.has(`${e.step_uuid}#${e.attempt}`)).length;
}

export type PoolRole = "orchestration" | "worker" | "combined";

/** A group of interchangeable processes of one role that the chaos driver may kill and replace. */
export interface ProcessPool {
  role: PoolRole;
  live: RoleProcess[];
  /** Every process that ever ran in the pool, killed or not (their logs are evidence). */
  all: RoleProcess[];
  start(): Promise<RoleProcess>;
}

export function processPool(role: PoolRole, start: () => Promise<RoleProcess>): ProcessPool {
  const pool: ProcessPool = {
    role,
    live: [],
    all: [],
    async start() {
      const proc = await start();
      pool.live.push(proc);
      pool.all.push(proc);
      return proc;
    },
  };
  return pool;
}

export interface ChaosKill {
  role: string;
  pid: number;
  processId: string;
  atMs: number;
}

export interface ChaosDriver {
  kills: ChaosKill[];
  /** Stops killing and waits for a restart in progress. */
  stop(): Promise<void>;
}

/** Handler executions a process started and has not finished (from its own logs). */
function runningOn(proc: RoleProcess): number {
  const finished = new Set(executions([proc], "fixture step finished").map((e) => `${e.step_uuid}#${e.attempt}`));
  return executions([proc]).filter((e) => !finished.has(`${e.step_uuid}#${e.attempt}`)).length;
}

/**
 * Which live process to kill: for workers, one in the middle of a handler when one
 * is within a short wait (so a kill interrupts a step, which is what the run is
 * meant to prove recovery from); otherwise any.
 */
async function victimIndex(pool: ProcessPool): Promise<number> {
  if (pool.role !== "orchestration") {
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const busy = pool.live.findIndex((proc) => runningOn(proc) > 0);
      if (busy >= 0) return busy;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  return Math.floor(Math.random() * pool.live.length);
}

/**
 * Every `everyMs`, kill -9s a live process of a random pool (of those given; a
 * worker busy in a handler when there is one), waits for it to exit and starts a
 * replacement in the same pool.
 * `maxKills` bounds the run.
 */
export function startChaos(pools: ProcessPool[], options: { everyMs: number; maxKills: number; restartDelayMs?: number }): ChaosDriver {
  const kills: ChaosKill[] = [];
  const started = Date.now();
  let stopped = false;
  let wake: (() => void) | undefined;
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const loop = (async () => {
    while (!stopped && kills.length < options.maxKills) {
      await pause(options.everyMs);
      if (stopped) break;
      const candidates = pools.filter((p) => p.live.length > 0);
      const pool = candidates[Math.floor(Math.random() * candidates.length)];
      if (!pool) break;
      const index = await victimIndex(pool);
      const victim = pool.live.splice(index, 1)[0]!;
      victim.kill("SIGKILL");
      await victim.exited;
      kills.push({ role: pool.role, pid: victim.pid, processId: victim.processId, atMs: Date.now() - started });
      if (options.restartDelayMs) await pause(options.restartDelayMs);
      await pool.start();
    }
  })();
  return {
    kills,
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}

export interface RunFigures {
  tasks: number;
  steps: number;
  lost: number;
  notComplete: number;
  duplicateResults: number;
  duplicateExecutions: number;
  unexplainedReruns: number;
  doubleTransitions: number;
  retriedSteps: number;
}

interface StepRow {
  workflow_step_uuid: string;
  task_uuid: string;
  name: string;
  state: string;
  attempts: number;
  result_attempt: number | null;
  value: number | null;
  starts: number;
  completions: number;
}

/**
 * Checks the promises over a finished run and returns the figures; every
 * count but `tasks`, `steps` and `retriedSteps` must be 0. Evidence:
 * - lost: created task uuids missing from tasker.tasks;
 * - duplicateResults: steps whose audit has more than one row for an attempt,
 *   or whose accepted results are not exactly one, for the final attempt;
 * - duplicateExecutions: (step, attempt) pairs that the handlers logged as started twice;
 * - unexplainedReruns: an attempt that ran but was not the accepted one, on a
 *   process that was not killed (a rerun must follow a crash);
 * - doubleTransitions: a step that entered `complete` twice, entered `in_progress`
 *   more often than its attempts, or a task that entered `complete` twice.
 */
export async function checkRun(sql: Sql, taskUuids: readonly string[], workers: Iterable<RoleProcess>, killedPids: ReadonlySet<number>): Promise<RunFigures & { details: string[] }> {
  const details: string[] = [];
  const [present] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM tasker.tasks WHERE task_uuid = ANY(${taskUuids}::uuid[])`;
  const notComplete = await sql<{ task_uuid: string; state: string }[]>`
    SELECT task_uuid::text, state FROM tasker.tasks WHERE task_uuid = ANY(${taskUuids}::uuid[]) AND state <> 'complete'`;
  const steps = await sql<StepRow[]>`
    SELECT s.workflow_step_uuid::text, s.task_uuid::text, ns.name, s.state, s.attempts,
           (s.results #>> '{metadata,attempt}')::int AS result_attempt,
           (s.results #>> '{result,value}')::int AS value,
           (SELECT count(*)::int FROM tasker.workflow_step_transitions t
             WHERE t.workflow_step_uuid = s.workflow_step_uuid AND t.to_state = 'in_progress') AS starts,
           (SELECT count(*)::int FROM tasker.workflow_step_transitions t
             WHERE t.workflow_step_uuid = s.workflow_step_uuid AND t.to_state = 'complete') AS completions
      FROM tasker.workflow_steps s JOIN tasker.named_steps ns USING (named_step_uuid)
     WHERE s.task_uuid = ANY(${taskUuids}::uuid[])`;
  type AuditAttempt = { workflow_step_uuid: string; attempt: number; success: boolean; rows: number };
  const audit = await sql<AuditAttempt[]>`
    SELECT workflow_step_uuid::text, attempt, bool_or(success) AS success, count(*)::int AS rows
      FROM tasker.workflow_step_result_audit
     WHERE task_uuid = ANY(${taskUuids}::uuid[])
     GROUP BY workflow_step_uuid, attempt`;
  const [taskCompletions] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM (
      SELECT task_uuid FROM tasker.task_transitions
       WHERE task_uuid = ANY(${taskUuids}::uuid[]) AND to_state = 'complete'
       GROUP BY task_uuid HAVING count(*) > 1) d`;

  const byStep = new Map<string, AuditAttempt[]>();
  for (const row of audit) byStep.set(row.workflow_step_uuid, [...(byStep.get(row.workflow_step_uuid) ?? []), row]);
  let duplicateResults = 0;
  let doubleTransitions = taskCompletions?.n ?? 0;
  for (const step of steps) {
    const rows = byStep.get(step.workflow_step_uuid) ?? [];
    const accepted = rows.filter((r) => r.success);
    if (rows.some((r) => r.rows > 1) || accepted.length !== 1 || accepted[0]?.attempt !== step.attempts || step.result_attempt !== step.attempts) {
      duplicateResults += 1;
      details.push(`step ${step.workflow_step_uuid} (${step.name}): audit ${JSON.stringify(rows)}, attempts ${step.attempts}, result attempt ${step.result_attempt}`);
    }
    if (step.completions !== 1 || step.starts !== step.attempts) {
      doubleTransitions += 1;
      details.push(`step ${step.workflow_step_uuid} (${step.name}): entered complete ${step.completions}x, in_progress ${step.starts}x for ${step.attempts} attempts`);
    }
  }

  const ran: Execution[] = executions(workers);
  const duplicates = duplicateExecutions(ran);
  for (const d of duplicates) details.push(`attempt ${d} was started twice`);
  const finalAttempt = new Map(steps.map((s) => [s.workflow_step_uuid, s.attempts]));
  const unexplained = ran.filter((e) => finalAttempt.has(e.step_uuid) && e.attempt !== finalAttempt.get(e.step_uuid) && !killedPids.has(e.pid));
  for (const e of unexplained) details.push(`attempt ${e.step_uuid}#${e.attempt} ran on live pid ${e.pid} and was not the accepted one`);
  // The accepted attempt of every step is in the handlers' own record (the log capture works).
  const seen = new Set(ran.map((e) => `${e.step_uuid}#${e.attempt}`));
  const unrecorded = steps.filter((s) => !seen.has(`${s.workflow_step_uuid}#${s.attempts}`));
  for (const s of unrecorded.slice(0, 5)) details.push(`accepted attempt ${s.workflow_step_uuid}#${s.attempts} has no execution record`);

  return {
    tasks: taskUuids.length,
    steps: steps.length,
    lost: taskUuids.length - (present?.n ?? 0),
    notComplete: notComplete.length,
    duplicateResults,
    duplicateExecutions: duplicates.length + unrecorded.length,
    unexplainedReruns: unexplained.length,
    doubleTransitions,
    retriedSteps: steps.filter((s) => s.attempts > 1).length,
    details,
  };
}

/** Tasks in the database (also those of requests cut off by a kill) that did not complete. */
export async function incompleteTasks(sql: Sql): Promise<string[]> {
  const rows = await sql<{ task_uuid: string; state: string }[]>`
    SELECT task_uuid::text, state FROM tasker.tasks WHERE state <> 'complete'`;
  return rows.map((r) => `${r.task_uuid}: ${r.state}`);
}

/** The figures that must be zero, for one expect(). */
export const violations = (f: RunFigures): Record<string, number> => ({
  lost: f.lost,
  notComplete: f.notComplete,
  duplicateResults: f.duplicateResults,
  duplicateExecutions: f.duplicateExecutions,
  unexplainedReruns: f.unexplainedReruns,
  doubleTransitions: f.doubleTransitions,
});

export const NO_VIOLATIONS = violations({
  tasks: 0,
  steps: 0,
  lost: 0,
  notComplete: 0,
  duplicateResults: 0,
  duplicateExecutions: 0,
  unexplainedReruns: 0,
  doubleTransitions: 0,
  retriedSteps: 0,
});

/** Each last step computed its shape's value (the data flowed through every retry). */
export async function wrongFinalValues(sql: Sql, taskUuids: readonly string[]): Promise<string[]> {
  const rows = await sql<{ task_uuid: string; template: string; step: string; value: number | null }[]>`
    SELECT t.task_uuid::text, nt.name AS template, ns.name AS step, (s.results #>> '{result,value}')::int AS value
      FROM tasker.tasks t
      JOIN tasker.named_tasks nt USING (named_task_uuid)
      JOIN tasker.workflow_steps s ON s.task_uuid = t.task_uuid
      JOIN tasker.named_steps ns ON ns.named_step_uuid = s.named_step_uuid
     WHERE t.task_uuid = ANY(${taskUuids}::uuid[])`;
  return rows
    .filter((r) => {
      const shape = MIXED_SHAPES.find((s) => s.name === r.template);
      return shape !== undefined && shape.last === r.step && r.value !== shape.value;
    })
    .map((r) => `${r.task_uuid} ${r.template}.${r.step} = ${r.value}`);
}

/** Prints a run's figures (the suite's report reads them from the test output). */
export function report(name: string, figures: Record<string, unknown>): void {
  process.stderr.write(`[faults ${FULL ? "full" : "short"}] ${name}: ${JSON.stringify(figures)}\n`);
}

/** Waits until `proc` logged a line matching `predicate` after it had logged `after` lines. */
export async function waitForNewLog(proc: RoleProcess, after: number, predicate: (l: Record<string, unknown>) => boolean, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  return waitFor(() => proc.logs().slice(after).find(predicate), {
    timeoutMs,
    description: () => `a new log line; stderr tail:\n${proc.stderr().slice(-2000)}`,
  });
}
