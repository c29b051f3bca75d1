/**
 * The LISTEN connection of each process (application_name tasker-<role>-listener)
 * terminated with pg_terminate_backend, again and again for a while: work created
 * during the gap completes by polling, each listener reconnects and resubscribes
 * (a log line says so), and afterwards steps arrive by notification again.
 */
import { useTestDatabase } from "../support/database.ts";
import { waitFor } from "../support/waitFor.ts";
import { expect, test } from "../support/test.ts";
import { killAll, waitForTasks, type RoleProcess } from "../e2e/engineHarness.ts";
import { checkRun, createMany, FAULT_TEST_TIMEOUT_MS, mixedTask, NO_VIOLATIONS, report, size, startMixedRole, violations, waitForNewLog } from "./faultHarness.ts";

const db = useTestDatabase(import.meta.file);

async function listenerBackends(): Promise<Array<{ pid: number; application_name: string }>> {
  return db.sql`
    SELECT pid, application_name FROM pg_stat_activity
     WHERE datname = current_database() AND application_name LIKE 'tasker-%-listener'`;
}

/** Claims logged by a worker (lifecycle event step.claimed) with how the message came. */
const claims = (worker: RoleProcess, from = 0): Array<{ step_uuid: string; source: string }> =>
  worker
    .logs()
    .slice(from)
    .filter((l) => l["msg"] === "step.claimed")
    .map((l) => ({ step_uuid: String(l["step_uuid"]), source: String(l["source"]) }));

test(
  "work_created_while_the_listen_connection_is_terminated_completes_and_the_listener_resubscribes",
  async () => {
    const procs: RoleProcess[] = [];
    try {
      procs.push(await startMixedRole("orchestration", db.url));
      procs.push(await startMixedRole("worker", db.url));
      const [orchestration, worker] = procs as [RoleProcess, RoleProcess];
      await waitFor(async () => (await listenerBackends()).length === 2, { timeoutMs: 10_000, description: "both listener connections" });
      const original = new Set((await listenerBackends()).map((b) => b.pid));

      // The gap: every listener backend is terminated each 100 ms while tasks are created.
      let terminating = true;
      let terminated = 0;
      const terminator = (async () => {
        while (terminating) {
          const rows = await db.sql<{ ok: boolean }[]>`
            SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
             WHERE datname = current_database() AND application_name LIKE 'tasker-%-listener'`;
          terminated += rows.filter((r) => r.ok).length;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      const logMarks = procs.map((p) => p.logs().length);
      let during: string[] = [];
      try {
        during = await createMany(size(10, 60), { concurrency: 2, spacingMs: size(200, 50) }, (i) => mixedTask(i, 50), () => [orchestration]);
        await waitForTasks(db.sql, during, ["complete"], size(30_000, 120_000));
      } finally {
        terminating = false;
        await terminator;
      }
      const gapClaims = claims(worker, logMarks[1]);
      expect(gapClaims.length).toBeGreaterThan(0);

      // Each process logs the loss and the reconnect, with a new backend.
      for (const [i, p] of procs.entries()) {
        const lines = p.logs().slice(logMarks[i]);
        expect(lines.some((l) => l["msg"] === "notify listener connection lost")).toBe(true);
        await waitForNewLog(p, logMarks[i]!, (l) => l["msg"] === "notify listener reconnected", 15_000);
      }
      await waitFor(async () => (await listenerBackends()).length === 2, { timeoutMs: 15_000, description: "both listeners connected again" });
      const renewed = await listenerBackends();
      expect(renewed.filter((b) => original.has(b.pid))).toEqual([]);

      // Resubscribed: new steps are claimed from notifications again, not only by the poller. On a
      // loaded machine the fallback poll can win every race of one small round, so up to 5 rounds.
      const mark = worker.logs().length;
      const after: string[] = [];
      for (let round = 0; round < 5; round += 1) {
        const batch = await createMany(size(6, 30), { concurrency: 2, spacingMs: 50 }, (i) => mixedTask(i + round * 100, 20), () => [orchestration]);
        after.push(...batch);
        await waitForTasks(db.sql, batch, ["complete"]);
        if (claims(worker, mark).some((c) => c.source === "notify")) break;
      }
      const afterClaims = claims(worker, mark);
      expect(afterClaims.filter((c) => c.source === "notify").length).toBeGreaterThan(0);

      const all = [...during, ...after];
      const figures = await checkRun(db.sql, all, [worker], new Set());
      report("listener termination", {
        ...figures,
        details: figures.details.slice(0, 10),
        backends_terminated: terminated,
        gap_claims: { poll: gapClaims.filter((c) => c.source === "poll").length, notify: gapClaims.filter((c) => c.source === "notify").length },
        after_claims: { poll: afterClaims.filter((c) => c.source === "poll").length, notify: afterClaims.filter((c) => c.source === "notify").length },
      });
      expect(figures.details.slice(0, 10)).toEqual([]);
      expect(violations(figures)).toEqual(NO_VIOLATIONS);
      expect(terminated).toBeGreaterThanOrEqual(2);
    } finally {
      await killAll(procs);
    }
  },
  FAULT_TEST_TIMEOUT_MS,
);
