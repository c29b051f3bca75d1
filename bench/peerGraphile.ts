/**
 * The peer, measured in the same run on the same PostgreSQL: graphile-worker (a
 * devDependency used only here), default settings (concurrency 1, poll interval 2 s,
 * LISTEN/NOTIFY for new jobs), run in the bench process with a no-op task.
 *   - jobs/s: N jobs added first (one set-based statement), then the worker starts; rate =
 *     N / (jobs table empty - first job started).
 *   - enqueue-to-start: one job at a time, added with its enqueue time from
 *     clock_timestamp() in the adding transaction; the task computes handler start - that,
 *     the same definition as our enqueued transition -> handler start.
 * With `concurrency` set it also runs matched to our worker's max_concurrent_steps.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Logger, run, runMigrations, type Runner } from "graphile-worker";
import pg from "pg";
import postgres from "postgres";
import { REPO_ROOT } from "../test/support/binary.ts";
import { withBenchDatabase } from "./support/benchDatabase.ts";
import { distribution, type Distribution } from "./support/stats.ts";

export interface PeerResult {
  peer: string;
  version: string;
  concurrency: number | "default (1)";
  jobs: number;
  jobsPerSecond: number;
  enqueueToStart: Distribution;
}

const silent = new Logger(() => () => {});

export async function benchGraphileWorker(options: { jobs: number; latencySamples: number; concurrency?: number; log: (l: string) => void }): Promise<PeerResult> {
  const version = (JSON.parse(readFileSync(join(REPO_ROOT, "node_modules", "graphile-worker", "package.json"), "utf8")) as { version: string }).version;
  return withBenchDatabase(`peer_graphile${options.concurrency ? `_${options.concurrency}` : ""}`, { migrate: false }, async ({ url }) => {
    // Our own pool (graphile-worker's default size, 10) so it is closed, with its errors
    // handled, before the database is dropped.
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    pool.on("error", () => {});
    pool.on("connect", (client) => client.on("error", () => {}));
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    let runner: Runner | undefined;
    try {
      await runMigrations({ pgPool: pool, logger: silent });
      // Throughput: fill, then drain.
      await sql`SELECT graphile_worker.add_job('noop', json_build_object('i', i)) FROM generate_series(1, ${options.jobs}::int) i`;
      let firstStart = Number.NaN;
      let latency: { resolve: (ms: number) => void } | undefined;
      const started = performance.now();
      runner = await run({
        pgPool: pool,
        logger: silent,
        noHandleSignals: true,
        ...(options.concurrency ? { concurrency: options.concurrency } : {}),
        taskList: {
          noop: (payload) => {
            const now = performance.timeOrigin + performance.now();
            if (Number.isNaN(firstStart)) firstStart = performance.now();
            const t = (payload as { t?: number }).t;
            if (t !== undefined && latency) latency.resolve(now - t);
            return Promise.resolve();
          },
        },
      });
      for (;;) {
        const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM graphile_worker.jobs`;
        if (row!.n === 0) break;
        if (performance.now() - started > 600_000) throw new Error("graphile-worker did not drain within 10 minutes");
        await Bun.sleep(10);
      }
      const jobsPerSecond = options.jobs / ((performance.now() - firstStart) / 1000);

      // Latency: one job at a time.
      const samples: number[] = [];
      const warmup = 5;
      for (let i = 0; i < options.latencySamples + warmup; i += 1) {
        const got = new Promise<number>((resolve) => (latency = { resolve }));
        await sql`SELECT graphile_worker.add_job('noop', json_build_object('t', extract(epoch FROM clock_timestamp()) * 1000))`;
        const ms = await Promise.race([got, Bun.sleep(10_000).then(() => Number.NaN)]);
        if (i >= warmup) samples.push(ms);
        await Bun.sleep(2); // let the completion commit before the next job, as our serial runs wait for completion
      }
      const result: PeerResult = {
        peer: "graphile-worker",
        version,
        concurrency: options.concurrency ?? "default (1)",
        jobs: options.jobs,
        jobsPerSecond,
        enqueueToStart: distribution(samples),
      };
      options.log(
        `  graphile-worker ${version} (concurrency ${result.concurrency}): ${jobsPerSecond.toFixed(0)} no-op jobs/s (${options.jobs} jobs); ` +
          `enqueue->start p50 ${result.enqueueToStart.p50.toFixed(2)} ms, p99 ${result.enqueueToStart.p99.toFixed(2)} ms (n=${result.enqueueToStart.n})`,
      );
      return result;
    } finally {
      await runner?.stop();
      await pool.end();
      await sql.end({ timeout: 5 });
    }
  });
}
