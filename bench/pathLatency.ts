/**
 * The seed's critical paths with a no-op handler (bench/handlers/bench_noop), one task
 * at a time on a `--role combined` process, and pg_notify publish to listener reception
 * through the engine's own listener (src/queue/notifyListener.ts).
 */
import postgres from "postgres";
import { createNotifyListener } from "../src/queue/notifyListener.ts";
import { silentLogger } from "../src/telemetry/logger.ts";
import { runOneTask, type Workflow } from "./engineLatency.ts";
import { withBenchDatabase } from "./support/benchDatabase.ts";
import { distribution, type Distribution } from "./support/stats.ts";
import { BENCH_HANDLERS, startRole, stopRoles, type RunningRole } from "./support/taskerRoles.ts";

export interface NoopPathResult {
  tasks: number;
  /** POST /v1/tasks round trip (task created, root step enqueued, committed). */
  apiToCreated: Distribution;
  /** step `enqueued` transition -> `in_progress` transition: delivery + claim. */
  enqueueToClaimed: Distribution;
  /** step `enqueued` transition -> the handler started (its own clock): pickup as the peer measures it. */
  enqueueToHandlerStart: Distribution;
  /** `in_progress` -> `enqueued_for_orchestration`: claim committed to result submitted (framework overhead, no-op handler). */
  claimToSubmitted: Distribution;
  /** `enqueued_for_orchestration` -> `complete`: notice delivery + result processing. */
  submittedToProcessed: Distribution;
  /** Task `completed_at - created_at` of the one-step task. */
  wholeTask: Distribution;
}

const NOOP_SINGLE: Workflow = { key: "noop", label: "no-op (1 step)", namespace: "bench_noop", name: "noop_single", count: 0 };

export async function benchNoopPaths(options: { count: number; warmup: number; pollMs: number; env?: Record<string, string>; log: (l: string) => void }): Promise<NoopPathResult> {
  return withBenchDatabase("paths", { migrate: false }, async ({ url }) => {
    const roles: RunningRole[] = [];
    try {
      roles.push(await startRole("combined", url, { handlersDir: BENCH_HANDLERS, args: ["--namespace", "bench_noop"], env: options.env ?? {} }));
      const baseUrl = roles[0]!.baseUrl;
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        for (let i = 0; i < options.warmup; i += 1) await runOneTask(sql, baseUrl, NOOP_SINGLE, `warmup-${i}`, options.pollMs);
        const create: number[] = [];
        for (let i = 0; i < options.count; i += 1) create.push((await runOneTask(sql, baseUrl, NOOP_SINGLE, `run-${i}`, options.pollMs)).createMs);
        const rows = await sql<{ claim: number; handler: number; execute: number; process: number; whole: number }[]>`
          WITH t AS (
            SELECT s.workflow_step_uuid, (s.results #>> '{result,started_ms}')::float8 AS started_ms, k.created_at AS task_created,
                   k.completed_at AS task_done,
                   max(tr.created_at) FILTER (WHERE tr.to_state = 'enqueued') AS enq,
                   max(tr.created_at) FILTER (WHERE tr.to_state = 'in_progress') AS run,
                   max(tr.created_at) FILTER (WHERE tr.to_state = 'enqueued_for_orchestration') AS sub,
                   max(tr.created_at) FILTER (WHERE tr.to_state = 'complete') AS done
              FROM tasker.workflow_step_transitions tr
              JOIN tasker.workflow_steps s USING (workflow_step_uuid)
              JOIN tasker.tasks k USING (task_uuid)
             WHERE k.idempotency_key LIKE 'run-%'
             GROUP BY s.workflow_step_uuid, s.results, k.created_at, k.completed_at)
          SELECT (extract(epoch FROM run - enq) * 1000)::float8 AS claim,
                 (started_ms - extract(epoch FROM enq) * 1000)::float8 AS handler,
                 (extract(epoch FROM sub - run) * 1000)::float8 AS execute,
                 (extract(epoch FROM done - sub) * 1000)::float8 AS process,
                 (extract(epoch FROM task_done - task_created) * 1000)::float8 AS whole
            FROM t`;
        const result: NoopPathResult = {
          tasks: rows.length,
          apiToCreated: distribution(create),
          enqueueToClaimed: distribution(rows.map((r) => r.claim)),
          enqueueToHandlerStart: distribution(rows.map((r) => r.handler)),
          claimToSubmitted: distribution(rows.map((r) => r.execute)),
          submittedToProcessed: distribution(rows.map((r) => r.process)),
          wholeTask: distribution(rows.map((r) => r.whole)),
        };
        options.log(
          `  no-op step (n=${rows.length}) p50/p99 ms: POST ${p(result.apiToCreated)}, enqueued->claimed ${p(result.enqueueToClaimed)}, ` +
            `enqueued->handler ${p(result.enqueueToHandlerStart)}, claim->submitted ${p(result.claimToSubmitted)}, ` +
            `submitted->processed ${p(result.submittedToProcessed)}, whole task ${p(result.wholeTask)}`,
        );
        return result;
      } finally {
        await sql.end({ timeout: 5 });
      }
    } finally {
      await stopRoles(roles);
    }
  });
}

function p(d: Distribution): string {
  return `${d.p50.toFixed(2)}/${d.p99.toFixed(2)}`;
}

/**
 * `tasker.pgmq_send_with_notify` (send + pg_notify, committed) to the engine's listener
 * callback, one message at a time. The clock starts when the send is issued.
 */
export async function benchNotify(count: number, log: (l: string) => void): Promise<Distribution> {
  return withBenchDatabase("notify", { migrate: true }, async ({ url }) => {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    const listener = createNotifyListener({ url, logger: silentLogger, reconnect: { baseMs: 50, maxMs: 1000 } });
    try {
      await sql`SELECT pgmq."create"('worker_bench_notify_queue')`;
      let waiting: { i: number; resolve: (t: number) => void } | undefined;
      const unsubscribe = await listener.subscribe("pgmq_message_ready.bench_notify", (n) => {
        const at = performance.now();
        const i = n.eventType === "message_with_payload" ? (n.message as { i?: number }).i : undefined;
        if (waiting && i === waiting.i) waiting.resolve(at);
      });
      const samples: number[] = [];
      const warmup = Math.min(20, count);
      for (let i = 0; i < count + warmup; i += 1) {
        const received = new Promise<number>((resolve) => (waiting = { i, resolve }));
        const sent = performance.now();
        await sql`SELECT tasker.pgmq_send_with_notify('worker_bench_notify_queue', ${sql.json({ i })}::jsonb)`;
        const at = await Promise.race([received, Bun.sleep(5000).then(() => Number.NaN)]);
        if (i >= warmup) samples.push(at - sent);
      }
      await unsubscribe();
      const d = distribution(samples);
      log(`  pg_notify publish -> listener (n=${d.n}) p50 ${d.p50.toFixed(2)} ms, p95 ${d.p95.toFixed(2)} ms, p99 ${d.p99.toFixed(2)} ms`);
      return d;
    } finally {
      await listener.close();
      await sql.end({ timeout: 5 });
    }
  });
}
