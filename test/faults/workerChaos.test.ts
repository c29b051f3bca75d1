/**
 * Chaos over the compiled binary: mixed task shapes run across orchestrators and
 * workers while a driver kill -9s a random process every few seconds and starts
 * a replacement. Every task completes, no step records two results, and no
 * attempt of a handler runs twice; a step runs again only after the worker
 * running its earlier attempt was killed (checkRun in faultHarness.ts).
 * Short: 36 tasks, 1 orchestrator + 3 workers, 2 kills; full: 500 tasks.
 */
import { useTestDatabase } from "../support/database.ts";
import { expect, test } from "../support/test.ts";
import { killAll, waitForTasks } from "../e2e/engineHarness.ts";
import {
  checkRun,
  createMany,
  FAULT_TEST_TIMEOUT_MS,
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
  "every_task_completes_with_one_result_per_step_while_workers_are_killed_and_restarted",
  async () => {
    const tasks = size(36, 500);
    const orchestrators = processPool("orchestration", () => startMixedRole("orchestration", db.url));
    const workers = processPool("worker", () => startMixedRole("worker", db.url));
    try {
      await orchestrators.start();
      await Promise.all([workers.start(), workers.start(), workers.start()]);
      const chaos = startChaos([workers], { everyMs: size(2_000, 3_000), maxKills: size(2, 20) });
      const started = Date.now();
      let uuids: string[] = [];
      try {
        // Paced creation keeps work arriving while the driver kills (short: ~6 s, full: ~75 s).
        uuids = await createMany(tasks, { concurrency: 4, spacingMs: size(170, 150) }, (i) => mixedTask(i, size(300, 300)), () => orchestrators.live);
        await waitForTasks(db.sql, uuids, ["complete"], size(60_000, 600_000));
      } finally {
        await chaos.stop();
      }
      const elapsedMs = Date.now() - started;
      const killed = new Set(chaos.kills.map((k) => k.pid));
      const figures = await checkRun(db.sql, uuids, workers.all, killed);
      const interrupted = interruptedExecutions(workers.all, killed);
      report("worker chaos", { ...figures, details: figures.details.slice(0, 10), kills: chaos.kills.length, interrupted_steps: interrupted, elapsed_ms: elapsedMs });
      expect(figures.details.slice(0, 10)).toEqual([]);
      expect(violations(figures)).toEqual(NO_VIOLATIONS);
      expect(await wrongFinalValues(db.sql, uuids)).toEqual([]);
      expect(chaos.kills.length).toBeGreaterThanOrEqual(size(1, 10));
      // The kills hit running steps (else the run proves nothing about recovery).
      expect(interrupted).toBeGreaterThan(0);
      // Nothing else died: the orchestrator ran throughout.
      expect(orchestrators.all.length).toBe(1);
    } finally {
      await killAll([...orchestrators.all, ...workers.all]);
    }
  },
  FAULT_TEST_TIMEOUT_MS,
);
