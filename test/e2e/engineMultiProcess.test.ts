/**
 * Two orchestrators and two workers of the compiled binary against one database:
 * every task completes, and every (step, attempt) runs exactly once, by the
 * workers' own records (fixture handler logs) and by the result audit table.
 */
import { useTestDatabase } from "../support/database.ts";
import { expect, test } from "../support/test.ts";
import {
  auditRows,
  createTask,
  duplicateExecutions,
  executions,
  FIXTURE_HANDLERS,
  killAll,
  startRole,
  waitForTasks,
  type RoleProcess,
} from "./engineHarness.ts";

const db = useTestDatabase(import.meta.file);

const TASKS = 25;
const STEPS_PER_TASK = 3;

test("two_orchestrators_and_two_workers_complete_25_tasks_running_each_step_attempt_once", async () => {
  const procs: RoleProcess[] = [];
  try {
    const start = async (role: "orchestration" | "worker"): Promise<RoleProcess> => {
      const proc = await startRole(role, { databaseUrl: db.url, handlersDir: FIXTURE_HANDLERS, namespaces: ["e2e_linear"] });
      procs.push(proc); // killed in finally even when another one fails to start
      return proc;
    };
    const [orchA, orchB, workerA, workerB] = await Promise.all([
      start("orchestration"),
      start("orchestration"),
      start("worker"),
      start("worker"),
    ]);

    const created = await Promise.all(
      Array.from({ length: TASKS }, (_, i) =>
        createTask((i % 2 === 0 ? orchA : orchB).baseUrl, {
          namespace: "e2e_linear",
          name: "short_chain",
          version: "1.0.0",
          context: { step_ms: 20, n: i },
        }),
      ),
    );
    const taskUuids = created.map((t) => t.task_uuid);
    expect(new Set(taskUuids).size).toBe(TASKS);
    await waitForTasks(db.sql, taskUuids, ["complete"], 30_000);

    const steps = await db.sql<{ workflow_step_uuid: string; state: string; attempts: number; value: number; starts: number }[]>`
      SELECT s.workflow_step_uuid::text, s.state, s.attempts, (s.results #>> '{result,value}')::int AS value,
             (SELECT count(*)::int FROM tasker.workflow_step_transitions t
               WHERE t.workflow_step_uuid = s.workflow_step_uuid AND t.to_state = 'in_progress') AS starts
        FROM tasker.workflow_steps s
       WHERE s.task_uuid = ANY(${taskUuids}::uuid[])`;
    expect(steps.length).toBe(TASKS * STEPS_PER_TASK);
    expect(steps.filter((s) => s.state !== "complete" || s.attempts !== 1 || s.starts !== 1)).toEqual([]);
    expect(steps.map((s) => s.value).sort((a, b) => a - b)).toEqual(Array.from({ length: TASKS * STEPS_PER_TASK }, (_, i) => Math.floor(i / TASKS) + 1));

    // The database's record: one audit row per (step, attempt), all successful.
    const audit = await auditRows(db.sql, taskUuids);
    expect(audit.length).toBe(TASKS * STEPS_PER_TASK);
    expect(new Set(audit.map((r) => `${r.workflow_step_uuid}#${r.attempt}`)).size).toBe(audit.length);
    expect(audit.every((r) => r.success)).toBe(true);

    // The handlers' record: every step ran once, on one of the two workers, and both took part.
    const ran = executions([workerA, workerB]);
    expect(duplicateExecutions(ran)).toEqual([]);
    expect(new Set(ran.map((e) => e.step_uuid))).toEqual(new Set(steps.map((s) => s.workflow_step_uuid)));
    expect(new Set(ran.map((e) => e.pid))).toEqual(new Set([workerA.pid, workerB.pid]));
    expect(new Set(audit.map((r) => r.worker_uuid))).toEqual(new Set([workerA.processId, workerB.processId]));
  } finally {
    await killAll(procs);
  }
});
