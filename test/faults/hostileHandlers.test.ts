/**
 * Handlers that misbehave (test/fixtures/handlers/fault_hostile): throw non-Error
 * values, return non-JSON (function, bigint, Date, a cycle), return more than
 * worker.max_result_bytes, hang past their timeout ignoring ctx.signal, spin in a
 * loop that never yields, allocate without end (blocked or yielding), call
 * process.exit, throw from a timer. With handler threads (the default) each is
 * a recorded failure of its own step with a clear error_type and message; the
 * healthy steps of the same task, a step that returns a large but allowed
 * result, and other tasks keep running on the same worker process. (A task with
 * a permanently failed step enqueues no further steps: blocked_by_failures, as
 * in tasker-core; so the healthy steps here are roots.)
 */
import { useTestDatabase } from "../support/database.ts";
import { waitFor } from "../support/waitFor.ts";
import { expect, test } from "../support/test.ts";
import { createTask, FIXTURE_HANDLERS, getTask, killAll, startRole, stepNamed, waitForTasks, type RoleProcess } from "../e2e/engineHarness.ts";
import { createMany, FAULT_TEST_TIMEOUT_MS, mixedTask, report, size, startMixedRole } from "./faultHarness.ts";
import { HOSTILE_FAILURES, HOSTILE_MEMORY_LIMIT_MB, HOSTILE_RESULT_LIMIT } from "./hostileExpectations.ts";

const db = useTestDatabase(import.meta.file);


test(
  "each_hostile_handler_fails_only_its_own_step_with_a_clear_error_and_the_worker_keeps_running",
  async () => {
    const procs: RoleProcess[] = [];
    try {
      const env = { TASKER_WORKER__MAX_RESULT_BYTES: String(HOSTILE_RESULT_LIMIT), TASKER_WORKER__HANDLER_MAX_MEMORY_MB: String(HOSTILE_MEMORY_LIMIT_MB) };
      procs.push(await startMixedRole("orchestration", db.url));
      procs.push(await startRole("worker", { databaseUrl: db.url, handlersDir: FIXTURE_HANDLERS, namespaces: ["fault_hostile", "fault_mixed"], env }));
      const [orchestration, worker] = procs as [RoleProcess, RoleProcess];

      const hostileCount = size(1, 5);
      const hostile = await Promise.all(
        Array.from({ length: hostileCount }, () =>
          createTask(orchestration.baseUrl, {
            namespace: "fault_hostile",
            name: "hostile",
            version: "1.0.0",
            context: { huge_bytes: 2 * HOSTILE_RESULT_LIMIT, large_bytes: HOSTILE_RESULT_LIMIT - 1024 },
          }),
        ),
      );
      const largeTask = await createTask(orchestration.baseUrl, { namespace: "fault_hostile", name: "large_result", version: "1.0.0", context: { large_bytes: HOSTILE_RESULT_LIMIT - 1024 } });
      // Other work on the same worker meanwhile.
      const others = await createMany(size(6, 30), { concurrency: 2, spacingMs: 50 }, (i) => mixedTask(i, 50), () => [orchestration]);
      await waitForTasks(db.sql, [...others, largeTask.task_uuid], ["complete"], 30_000);
      // (The task is blocked_by_failures from the first failure; the hanging step ends 1 s later.)
      const hostileUuids = hostile.map((t) => t.task_uuid);
      await waitFor(
        async () => {
          const [row] = await db.sql<{ n: number }[]>`
            SELECT count(*)::int AS n FROM tasker.workflow_steps
             WHERE task_uuid = ANY(${hostileUuids}::uuid[]) AND state NOT IN ('complete', 'error')`;
          return row?.n === 0;
        },
        { timeoutMs: 30_000, description: "every step of the hostile tasks to end" },
      );
      await waitForTasks(db.sql, hostileUuids, ["blocked_by_failures", "error"], 30_000);

      const seen: Record<string, string> = {};
      for (const created of hostile) {
        const task = await getTask(orchestration.baseUrl, created.task_uuid);
        for (const [name, [errorType, fragment]] of Object.entries(HOSTILE_FAILURES)) {
          const step = stepNamed(task, name);
          expect({ name, state: step.current_state, attempts: step.attempts, success: step.results?.success }).toEqual({ name, state: "error", attempts: 1, success: false });
          expect({ name, error_type: step.results?.error?.error_type }).toEqual({ name, error_type: errorType });
          expect(step.results?.error?.message).toContain(fragment);
          seen[name] = step.results!.error!.message.slice(0, 120);
        }
        for (const name of ["healthy", "return_large"]) expect([name, stepNamed(task, name).current_state]).toEqual([name, "complete"]);
      }
      // A result just under the limit is stored and handed to the next step.
      const large = await getTask(orchestration.baseUrl, largeTask.task_uuid);
      expect(large.status).toBe("complete");
      expect(stepNamed(large, "after_large").results?.result).toEqual({ large_length: HOSTILE_RESULT_LIMIT - 1024 });

      // The worker survived all of it (same process, still ready) and still runs new work.
      expect((await fetch(`${worker.baseUrl}/health/ready`)).status).toBe(200);
      const later = await createMany(3, { concurrency: 1, spacingMs: 0 }, (i) => mixedTask(i, 10), () => [orchestration]);
      await waitForTasks(db.sql, later, ["complete"]);
      expect(worker.logs().filter((l) => l["level"] === "fatal" || l["msg"] === "message handler failed")).toEqual([]);
      report("hostile handlers", { hostile_tasks: hostileCount, failed_steps: hostileCount * Object.keys(HOSTILE_FAILURES).length, other_tasks_completed: others.length + later.length, messages: seen });
    } finally {
      await killAll(procs);
    }
  },
  FAULT_TEST_TIMEOUT_MS,
);
