/**
 * The chaos run with two orchestrators, one of them killed (-9) mid-run and
 * restarted: task creation goes on through the other one and the replacement
 * (a request cut off by the kill is sent again under its idempotency key), and
 * workers complete steps without an orchestrator hop, with the same invariants
 * as workerChaos.
 * Short: 30 tasks, 2 orchestrators + 2 workers, 1 orchestrator kill;
 * full: 500 tasks, 3 workers, 3 orchestrator kills and worker kills besides.
 */
import { useTestDatabase } from "../support/database.ts";
import { expect, test } from "../support/test.ts";
import { killAll, waitForTasks } from "../e2e/engineHarness.ts";
import {
  checkRun,
  createMany,
  FAULT_TEST_TIMEOUT_MS,
  incompleteTasks,
  mixedTask,
  NO_VIOLATIONS,
  processPool,
  report,
  size,
  startChaos,
  startMixedRole,
  violations,
  wrongFinalValues,
} from "./faultHarness.ts";

const db = useTestDatabase(import.meta.file);

test(
  "every_task_completes_with_one_result_per_step_when_an_orchestrator_is_killed_and_restarted",
  async () => {
    const tasks = size(30, 500);
    const orchestrators = processPool("orchestration", () => startMixedRole("orchestration", db.url));
    const workers = processPool("worker", () => startMixedRole("worker", db.url));
    try {
      await Promise.all([orchestrators.start(), orchestrators.start()]);
      await Promise.all(Array.from({ length: size(2, 3) }, () => workers.start()));
      const orchestratorChaos = startChaos([orchestrators], { everyMs: size(2_500, 20_000), maxKills: size(1, 3), restartDelayMs: 1_000 });
      const workerChaos = startChaos([workers], { everyMs: 4_000, maxKills: size(0, 12) });
      const started = Date.now();
      let uuids: string[] & { unanswered?: number } = [];
      try {
        uuids = await createMany(tasks, { concurrency: 4, spacingMs: size(200, 150) }, (i) => mixedTask(i, 300), () => orchestrators.live);
        await waitForTasks(db.sql, uuids, ["complete"], size(60_000, 600_000));
      } finally {
        await Promise.all([orchestratorChaos.stop(), workerChaos.stop()]);
      }
      const elapsedMs = Date.now() - started;
      const killed = new Set([...orchestratorChaos.kills, ...workerChaos.kills].map((k) => k.pid));
      const figures = await checkRun(db.sql, uuids, workers.all, killed);
      // A request cut off by the kill may have created a task: it must complete too.
      await waitForTasks(db.sql, (await db.sql<{ task_uuid: string }[]>`SELECT task_uuid::text FROM tasker.tasks`).map((r) => r.task_uuid), ["complete"]);
      report("orchestrator chaos", {
        ...figures,
        details: figures.details.slice(0, 10),
        orchestrator_kills: orchestratorChaos.kills.length,
        worker_kills: workerChaos.kills.length,
        unanswered_requests: uuids.unanswered ?? 0,
        elapsed_ms: elapsedMs,
      });
      expect(figures.details.slice(0, 10)).toEqual([]);
      expect(violations(figures)).toEqual(NO_VIOLATIONS);
      expect(await incompleteTasks(db.sql)).toEqual([]);
      expect(await wrongFinalValues(db.sql, uuids)).toEqual([]);
      expect(orchestratorChaos.kills.length).toBe(size(1, 3));
      // The killed orchestrator's replacement came up and registered (workers complete steps
      // themselves; orchestrators own creation, the readiness poller and recovery).
      const replacement = orchestrators.all.at(-1)!;
      expect(replacement.logs().some((l) => l["msg"] === "ready")).toBe(true);
      const registered = await db.sql`SELECT 1 FROM tasker.processes WHERE process_uuid = ${replacement.processId}::uuid AND stopped_at IS NULL`;
      expect(registered.length).toBe(1);
    } finally {
      await killAll([...orchestrators.all, ...workers.all]);
    }
  },
  FAULT_TEST_TIMEOUT_MS,
);
