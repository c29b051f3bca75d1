/**
 * PostgreSQL restarted (pg_ctl restart -m fast on a throwaway cluster this file
 * owns) in the middle of a run: every process loses its pool and LISTEN
 * connections, /health/ready answers 503 during the outage and 200 after,
 * the listeners resubscribe, and the work pending at the restart completes
 * with the usual invariants, as does work created after it.
 */
import { runTasker } from "../support/binary.ts";
import { startThrowawayCluster, type ThrowawayCluster } from "../support/postgres.ts";
import { waitFor } from "../support/waitFor.ts";
import { afterAll, beforeAll, expect, test } from "../support/test.ts";
import postgres, { type Sql } from "postgres";
import { killAll, waitForTasks, type RoleProcess } from "../e2e/engineHarness.ts";
import { checkRun, createMany, FAULT_TEST_TIMEOUT_MS, mixedTask, NO_VIOLATIONS, report, size, startMixedRole, violations, wrongFinalValues } from "./faultHarness.ts";

let cluster: ThrowawayCluster | undefined;
let sql: Sql | undefined;

beforeAll(async () => {
  cluster = await startThrowawayCluster();
  const migrated = await runTasker(["migrate"], { env: { DATABASE_URL: cluster.url } });
  if (migrated.code !== 0) throw new Error(`tasker migrate failed: ${migrated.stderr}`);
  sql = postgres(cluster.url, { max: 2, onnotice: () => {} });
}, 60_000);

afterAll(async () => {
  await sql?.end({ timeout: 1 }).catch(() => {});
  await cluster?.stop();
});

/** Polls /health/ready of each process every 20 ms; the sequence of distinct statuses per process. */
function watchReadiness(procs: RoleProcess[]): { seen: Map<RoleProcess, number[]>; stop(): Promise<Map<RoleProcess, number[]>> } {
  const seen = new Map<RoleProcess, number[]>(procs.map((p) => [p, []]));
  let stopped = false;
  const loops = procs.map(async (p) => {
    while (!stopped) {
      const status = await fetch(`${p.baseUrl}/health/ready`, { signal: AbortSignal.timeout(7_000) }).then(
        (r) => r.status,
        () => 0,
      );
      const list = seen.get(p)!;
      if (list.at(-1) !== status) list.push(status);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
  return {
    seen,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return seen;
    },
  };
}

test(
  "processes_reconnect_after_a_postgresql_restart_and_pending_work_completes",
  async () => {
    const url = cluster!.url;
    const procs: RoleProcess[] = [];
    try {
      // A connection opened while the server restarts can hang until connect_timeout (default 10 s).
      // A long visibility timeout: a message whose handling failed in the outage must come back
      // at once (queueConsumer), not when its lease runs out, or this test times out.
      const env = { TASKER_DATABASE__POOL__CONNECT_TIMEOUT_SECONDS: "3", TASKER_QUEUES__VISIBILITY_TIMEOUT_SECONDS: "600" };
      procs.push(await startMixedRole("orchestration", url, env));
      procs.push(await startMixedRole("worker", url, env));
      const [orchestration, worker] = procs as [RoleProcess, RoleProcess];
      const before = await createMany(size(12, 100), { concurrency: 4, spacingMs: 0 }, (i) => mixedTask(i, 400), () => [orchestration]);
      await waitFor(async () => {
        const [row] = await sql!<{ n: number }[]>`SELECT count(*)::int AS n FROM tasker.workflow_steps WHERE state = 'in_progress'`;
        return (row?.n ?? 0) > 0;
      }, { timeoutMs: 10_000, description: "steps running when PostgreSQL restarts" });

      const readiness = watchReadiness(procs);
      const restartStarted = Date.now();
      for (let i = 0; i < size(1, 3); i += 1) await cluster!.restart();
      const restartMs = Date.now() - restartStarted;
      await sql!`SELECT 1`.catch(() => undefined); // the test's own pool reconnects on next use

      // Both processes report the outage (503) and recover (200 after it).
      const recovered = (list: number[] | undefined): boolean => list !== undefined && list.includes(503) && list.at(-1) === 200;
      await waitFor(() => procs.every((p) => recovered(readiness.seen.get(p))), {
        timeoutMs: 20_000,
        description: () => `/health/ready to answer 503 then 200 on both processes; seen ${JSON.stringify(procs.map((p) => readiness.seen.get(p)))}`,
      });
      const readyAgainMs = Date.now() - restartStarted;
      const statuses = await readiness.stop();

      // The listeners resubscribed (both processes) and new work completes as well as the pending work.
      for (const p of procs) await p.waitForLog((l) => l["msg"] === "notify listener reconnected", 20_000);
      // Right after the restart a request can still meet a pool connection that breaks (a 500):
      // it is sent again and counted; every task in the database must complete all the same.
      const after = await createMany(size(6, 50), { concurrency: 4, spacingMs: 0, retryServerErrors: true }, (i) => mixedTask(i, 100), () => [orchestration]);
      const all = [...before, ...after];
      const listenedAgainMs = Date.now() - restartStarted;
      await waitForTasks(sql!, all, ["complete"], size(60_000, 300_000));
      const completedMs = Date.now() - restartStarted;
      const figures = await checkRun(sql!, all, [worker], new Set());
      report("postgresql restart", {
        ...figures,
        details: figures.details.slice(0, 10),
        restarts: size(1, 3),
        restart_ms: restartMs,
        ready_again_ms: readyAgainMs,
        listeners_back_ms: listenedAgainMs,
        completed_ms: completedMs,
        requests_sent_again: after.unanswered,
        readiness: Object.fromEntries(procs.map((p) => [p.role, statuses.get(p)])),
      });
      // No process died, so no attempt may be lost and rerun either... except one whose result
      // could not be submitted during the outage (its lease then expires): checkRun counts those.
      expect(figures.details.slice(0, 10)).toEqual([]);
      expect(violations(figures)).toEqual(NO_VIOLATIONS);
      expect(await wrongFinalValues(sql!, all)).toEqual([]);
      const everyTask = await sql!<{ task_uuid: string }[]>`SELECT task_uuid::text FROM tasker.tasks`;
      await waitForTasks(sql!, everyTask.map((r) => r.task_uuid), ["complete"]);
      for (const p of procs) expect(p.logs().some((l) => l["msg"] === "notify listener connection lost")).toBe(true);
    } finally {
      if (process.env["FAULTS_DEBUG"]) for (const p of procs) await Bun.write(`/tmp/faults-${p.role}.log`, p.stderr());
      await killAll(procs);
    }
  },
  FAULT_TEST_TIMEOUT_MS,
);
