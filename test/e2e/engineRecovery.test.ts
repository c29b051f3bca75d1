/**
 * Separate orchestration and worker processes of the compiled binary, and what
 * happens to a step when its worker dies (kill -9) or is told to stop (SIGTERM).
 * The fixture step `e2e_slow/slow_task` waits `work_ms` on attempt 1 and logs
 * when it starts, so the tests can act while it is running.
 */
import { useTestDatabase } from "../support/database.ts";
import { waitFor } from "../support/waitFor.ts";
import { afterAll, beforeAll, describe, expect, test } from "../support/test.ts";
import {
  auditRows,
  createTask,
  duplicateExecutions,
  executions,
  FIXTURE_HANDLERS,
  getTask,
  killAll,
  startRole,
  stepNamed,
  taskStates,
  waitForTasks,
  type RoleProcess,
} from "./engineHarness.ts";

const db = useTestDatabase(import.meta.file);

const slowTask = (workMs: number) => ({
  namespace: "e2e_slow",
  name: "slow_task",
  version: "1.0.0",
  context: { work_ms: workMs, retry_work_ms: 0 },
});

const startWorker = (env: Record<string, string> = {}): Promise<RoleProcess> =>
  startRole("worker", { databaseUrl: db.url, handlersDir: FIXTURE_HANDLERS, namespaces: ["e2e_slow"], env });

/** The step transitions of a task's only step, oldest first. */
async function stepTransitions(taskUuid: string): Promise<Array<{ to_state: string; metadata: Record<string, unknown> | null }>> {
  return db.sql`
    SELECT t.to_state, t.metadata
      FROM tasker.workflow_step_transitions t JOIN tasker.workflow_steps s USING (workflow_step_uuid)
     WHERE s.task_uuid = ${taskUuid}::uuid
     ORDER BY t.sort_key, t.created_at`;
}

describe("separate orchestration and worker processes", () => {
  let orchestration: RoleProcess | undefined;
  beforeAll(async () => {
    orchestration = await startRole("orchestration", { databaseUrl: db.url });
  });
  afterAll(async () => {
    await killAll([orchestration]);
  });

  test("a_step_whose_worker_is_killed_mid_step_is_recovered_and_completes_on_a_new_worker", async () => {
    const baseUrl = orchestration!.baseUrl;
    let first: RoleProcess | undefined;
    let second: RoleProcess | undefined;
    try {
      first = await startWorker();
      const created = await createTask(baseUrl, slowTask(30_000));
      const stepUuid = stepNamed(created, "slow_work").workflow_step_uuid;
      const killed = first;
      await killed.waitForLog((l) => l["msg"] === "fixture step started" && l["step_uuid"] === stepUuid);
      killed.kill("SIGKILL");
      expect(await killed.exited).not.toBe(0);

      // No worker runs now: only the reaper (the worker stopped heart-beating) can free the step.
      const reaped = await waitFor(
        async () =>
          (await stepTransitions(created.task_uuid)).find(
            (t) => t.to_state === "enqueued_as_error_for_orchestration" && t.metadata?.["reason"] === "worker_lost",
          ),
        { timeoutMs: 15_000, description: "the reaper to take the step back from the killed worker" },
      );
      expect(reaped.metadata?.["worker_uuid"]).toBe(killed.processId);
      expect((await taskStates(db.sql, [created.task_uuid])).get(created.task_uuid)).not.toBe("complete");

      second = await startWorker();
      await waitForTasks(db.sql, [created.task_uuid], ["complete"]);
      const task = await getTask(baseUrl, created.task_uuid);
      const step = stepNamed(task, "slow_work");
      expect([step.current_state, step.attempts, step.results?.metadata.worker_id]).toEqual(["complete", 2, second.processId]);
      // Attempt 1 ran on the killed worker and never reported; attempt 2 ran once, on the new one.
      expect(executions([killed, second]).map((e) => [e.attempt, e.pid])).toEqual([
        [1, killed.pid],
        [2, second.pid],
      ]);
      expect((await auditRows(db.sql, [created.task_uuid])).map((r) => [r.attempt, r.success, r.worker_uuid])).toEqual([
        [2, true, second.processId],
      ]);
      expect(
        orchestration!
          .logs()
          .some((l) => l["msg"] === "recovered a step whose attempt was lost" && l["step_uuid"] === stepUuid && l["reason"] === "worker_lost"),
      ).toBe(true);
    } finally {
      await killAll([first, second]);
    }
  });

  test("sigterm_lets_running_steps_finish_or_releases_them_and_a_new_worker_finishes_every_task", async () => {
    const baseUrl = orchestration!.baseUrl;
    let draining: RoleProcess | undefined;
    let next: RoleProcess | undefined;
    try {
      // 4 slots: 2 steps that end inside the drain window (test config: 2.5 s), 2 that outlast it,
      // then 2 more tasks that wait in the queue for a free slot.
      draining = await startWorker({ TASKER_WORKER__MAX_CONCURRENT_STEPS: "4" });
      const short = await Promise.all([createTask(baseUrl, slowTask(1_500)), createTask(baseUrl, slowTask(1_500))]);
      const long = await Promise.all([createTask(baseUrl, slowTask(30_000)), createTask(baseUrl, slowTask(30_000))]);
      const proc = draining;
      await waitFor(() => executions([proc]).length === 4, {
        timeoutMs: 10_000,
        description: () => `4 running steps on the worker; started: ${JSON.stringify(executions([proc]))}`,
      });
      const queued = await Promise.all([createTask(baseUrl, slowTask(0)), createTask(baseUrl, slowTask(0))]);
      const all = [...short, ...long, ...queued].map((t) => t.task_uuid);
      const stepOf = new Map([...short, ...long, ...queued].map((t) => [t.task_uuid, stepNamed(t, "slow_work").workflow_step_uuid]));

      proc.kill("SIGTERM");
      // Exit 0: the drain ended before the shutdown watchdog (which exits 1) fired.
      expect(await proc.exited).toBe(0);
      const [inProgress] = await db.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM tasker.workflow_steps
         WHERE task_uuid = ANY(${all}::uuid[]) AND state = 'in_progress'`;
      expect(inProgress?.n).toBe(0);

      const outcomeOnFirstWorker = async (taskUuid: string) =>
        (await auditRows(db.sql, [taskUuid])).filter((r) => r.worker_uuid === proc.processId).map((r) => [r.attempt, r.success]);
      for (const t of short) expect(await outcomeOnFirstWorker(t.task_uuid)).toEqual([[1, true]]);
      for (const t of long) expect(await outcomeOnFirstWorker(t.task_uuid)).toEqual([[1, false]]);
      for (const t of queued) expect(await outcomeOnFirstWorker(t.task_uuid)).toEqual([]);
      const shutdownFailures = proc
        .logs()
        .filter((l) => l["msg"] === "step failed")
        .map((l) => [l["step_uuid"], l["error_type"]]);
      expect(shutdownFailures.sort()).toEqual(long.map((t) => [stepOf.get(t.task_uuid), "worker_shutdown"]).sort());

      next = await startWorker();
      await waitForTasks(db.sql, all, ["complete"]);
      const started = executions([proc, next]);
      expect(duplicateExecutions(started)).toEqual([]);
      const attemptsRun = (taskUuid: string) =>
        started.filter((e) => e.step_uuid === stepOf.get(taskUuid)).map((e) => [e.attempt, e.pid]);
      for (const t of short) expect(attemptsRun(t.task_uuid)).toEqual([[1, proc.pid]]);
      for (const t of long) expect(attemptsRun(t.task_uuid)).toEqual([[1, proc.pid], [2, next.pid]]);
      for (const t of queued) expect(attemptsRun(t.task_uuid)).toEqual([[1, next.pid]]);
    } finally {
      await killAll([draining, next]);
    }
  });

  test("a_combined_process_runs_the_root_it_creates_without_a_message_and_when_killed_it_is_recovered", async () => {
    let combined: RoleProcess | undefined;
    let next: RoleProcess | undefined;
    try {
      // One slot: the first task's root is taken at creation, the second's waits in the queue.
      // No fallback poll after start-up: a poll holds the free slots while it reads, and a
      // creation in that moment would send its root through the queue instead.
      combined = await startRole("combined", {
        databaseUrl: db.url,
        handlersDir: FIXTURE_HANDLERS,
        namespaces: ["e2e_slow"],
        env: { TASKER_WORKER__MAX_CONCURRENT_STEPS: "1", TASKER_QUEUES__POLL_INTERVAL_MS: "600000" },
      });
      const taken = await createTask(combined.baseUrl, slowTask(30_000));
      const takenStep = stepNamed(taken, "slow_work").workflow_step_uuid;
      const proc = combined;
      await proc.waitForLog((l) => l["msg"] === "fixture step started" && l["step_uuid"] === takenStep);
      const start = (await stepTransitions(taken.task_uuid)).find((t) => t.to_state === "in_progress");
      expect(start?.metadata).toEqual({ worker_uuid: proc.processId, taken_at_creation: true });
      const waiting = await createTask(combined.baseUrl, slowTask(0));
      const messages = await db.sql<{ task: string }[]>`SELECT message ->> 'task_uuid' AS task FROM pgmq.q_worker_e2e_slow_queue`;
      expect(messages.map((m) => m.task)).toEqual([waiting.task_uuid]);

      proc.kill("SIGKILL");
      expect(await proc.exited).not.toBe(0);
      // The other orchestration's reaper frees the taken step; a new worker runs both tasks.
      next = await startWorker();
      await waitForTasks(db.sql, [taken.task_uuid, waiting.task_uuid], ["complete"]);
      const reaped = (await stepTransitions(taken.task_uuid)).find((t) => t.to_state === "enqueued_as_error_for_orchestration");
      expect(reaped?.metadata?.["reason"]).toBe("worker_lost");
      const runsOf = executions([proc, next]).map((e) => [e.step_uuid === takenStep ? "taken" : "waiting", e.attempt, e.pid]);
      expect(runsOf.sort((a, b) => String(a).localeCompare(String(b)))).toEqual([
        ["taken", 1, proc.pid],
        ["taken", 2, next.pid],
        ["waiting", 1, next.pid],
      ]);
    } finally {
      await killAll([combined, next]);
    }
  });
});
