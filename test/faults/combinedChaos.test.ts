/**
 * Chaos over combined processes (orchestration and worker in one, the laptop and small-deployment
 * shape): tasks are created through the combined processes themselves, so their roots are claimed
 * at creation by the creating process (worker.claim_at_creation) and have no queue message, while
 * a driver kill -9s a combined process every few seconds and starts a replacement. An orchestrator
 * that is not killed reaps what the killed ones held. Every task completes, no step records two
 * results, no attempt runs twice, and a step runs again only after its process was killed.
 * Short: 30 tasks, 3 combined processes, 2 kills; full: 300 tasks, 10 kills.
 */
import { useTestDatabase } from "../support/database.ts";
import { expect, test } from "../support/test.ts";
import { killAll, waitForTasks } from "../e2e/engineHarness.ts";
import {
  checkRun,
  createMany,
  FAULT_TEST_TIMEOUT_MS,
  incompleteTasks,
  interruptedExecutions,
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
  "every_task_completes_with_one_result_per_step_while_combined_processes_that_took_roots_at_creation_are_killed",
  async () => {
    const tasks = size(30, 300);
    const orchestrators = processPool("orchestration", () => startMixedRole("orchestration", db.url));
    const combined = processPool("combined", () => startMixedRole("combined", db.url));
    try {
      await orchestrators.start();
      await Promise.all([combined.start(), combined.start(), combined.start()]);
      const chaos = startChaos([combined], { everyMs: size(2_500, 3_000), maxKills: size(2, 10) });
      const started = Date.now();
      let uuids: string[] & { unanswered?: number } = [];
      try {
        uuids = await createMany(tasks, { concurrency: 3, spacingMs: size(200, 150) }, (i) => mixedTask(i, 300), () => combined.live);
        await waitForTasks(db.sql, uuids, ["complete"], size(60_000, 600_000));
      } finally {
        await chaos.stop();
      }
      const elapsedMs = Date.now() - started;
      const killed = new Set(chaos.kills.map((k) => k.pid));
      const figures = await checkRun(db.sql, uuids, combined.all, killed);
      // A request cut off by a kill may have created a task: it must complete too.
      await waitForTasks(db.sql, (await db.sql<{ task_uuid: string }[]>`SELECT task_uuid::text FROM tasker.tasks`).map((r) => r.task_uuid), ["complete"]);
      const [taken] = await db.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM tasker.workflow_step_transitions WHERE (metadata ->> 'taken_at_creation')::boolean`;
      report("combined chaos", {
        ...figures,
        details: figures.details.slice(0, 10),
        kills: chaos.kills.length,
        taken_at_creation: taken?.n ?? 0,
        interrupted_steps: interruptedExecutions(combined.all, killed),
        unanswered_requests: uuids.unanswered ?? 0,
        elapsed_ms: elapsedMs,
      });
      expect(figures.details.slice(0, 10)).toEqual([]);
      expect(violations(figures)).toEqual(NO_VIOLATIONS);
      expect(await incompleteTasks(db.sql)).toEqual([]);
      expect(await wrongFinalValues(db.sql, uuids)).toEqual([]);
      expect(chaos.kills.length).toBeGreaterThanOrEqual(size(1, 5));
      // The run went through the path under test: most roots were claimed by their creator.
      expect(taken?.n ?? 0).toBeGreaterThan(tasks / 2);
    } finally {
      await killAll([...orchestrators.all, ...combined.all]);
    }
  },
  FAULT_TEST_TIMEOUT_MS,
);
