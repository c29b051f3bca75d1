/**
 * Readiness discovery against the number of tasks: the seed's state mix (mostly finished
 * tasks) generated up to 5k, 50k and 500k tasks on one database, and at each size the
 * orchestration's periodic scans timed over many calls:
 *   - tasker.next_ready_tasks(5): the readiness poller's candidate query;
 *   - tasker.reap_step_claims with live workers: the reaper's scan, repairing nothing.
 * Claimable steps are found through their worker queue (pgmq.read on q_<queue>'s vt index),
 * whose size is the number of waiting messages, not of tasks, so it is not scaled here.
 *
 *   bun bench/discoveryScaling.ts [--sizes 5000,50000,500000] [--iterations 50]
 */
import postgres from "postgres";
import { generateTasks, prepareCatalog } from "./generateDataset.ts";
import { withBenchDatabase } from "./support/benchDatabase.ts";
import { distribution, type Distribution } from "./support/stats.ts";

export interface DiscoveryScalingResult {
  sizes: Array<{ tasks: number; steps: number; generationSeconds: number; nextReadyTasks: Distribution & { rows: number }; reaper: Distribution }>;
}

async function timed(iterations: number, body: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < iterations; i += 1) {
    const started = performance.now();
    await body();
    samples.push(performance.now() - started);
  }
  return samples;
}

export async function benchDiscoveryScaling(options: { sizes: number[]; iterations: number; log: (line: string) => void }): Promise<DiscoveryScalingResult> {
  return withBenchDatabase("discovery", { migrate: true }, async ({ url }) => {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await prepareCatalog(sql);
      const reaper = "01900000-0000-7000-8000-00000000beef";
      const sizes: DiscoveryScalingResult["sizes"] = [];
      let have = 0;
      for (const [i, size] of options.sizes.entries()) {
        const started = performance.now();
        // In batches of 50k, so memory stays flat at 500k.
        for (let done = have; done < size; ) {
          const n = Math.min(50_000, size - done);
          await generateTasks(sql, n, 100 * (i + 1) + Math.floor(done / 50_000));
          done += n;
        }
        const generationSeconds = (performance.now() - started) / 1000;
        have = size;
        await sql`VACUUM ANALYZE`;
        // Every claimant of the generated in_progress steps is alive: the reaper scans, repairs nothing.
        await sql`
          INSERT INTO tasker.processes (process_uuid, role, hostname, pid, version)
          SELECT DISTINCT claimed_by, 'worker', 'bench', 0, 'bench' FROM tasker.workflow_steps
           WHERE state = 'in_progress' AND claimed_by IS NOT NULL
          ON CONFLICT (process_uuid) DO UPDATE SET heartbeat_at = clock_timestamp()`;
        await sql`UPDATE tasker.workflow_steps SET lease_expires_at = clock_timestamp() + interval '1 day' WHERE state = 'in_progress'`;
        const [{ steps } = { steps: 0 }] = await sql<{ steps: number }[]>`SELECT count(*)::int AS steps FROM tasker.workflow_steps`;
        let rows = 0;
        await timed(5, () => sql`SELECT * FROM tasker.next_ready_tasks(5)`); // warm
        const ready = await timed(options.iterations, async () => {
          rows = (await sql`SELECT * FROM tasker.next_ready_tasks(5)`).length;
        });
        const reap = await timed(options.iterations, () => sql`SELECT tasker.reap_step_claims(${reaper}::uuid, 3600, 100)`);
        const result = { tasks: size, steps, generationSeconds, nextReadyTasks: { ...distribution(ready), rows }, reaper: distribution(reap) };
        sizes.push(result);
        options.log(
          `  ${size} tasks (${steps} steps, generated in ${generationSeconds.toFixed(0)} s): next_ready_tasks(5) p50 ${result.nextReadyTasks.p50.toFixed(2)} ms ` +
            `p99 ${result.nextReadyTasks.p99.toFixed(2)} ms (${rows} rows); reaper scan p50 ${result.reaper.p50.toFixed(2)} ms`,
        );
      }
      return { sizes };
    } finally {
      await sql.end({ timeout: 5 });
    }
  });
}

if (import.meta.main) {
  const arg = (name: string): string | undefined => {
    const at = process.argv.indexOf(name);
    return at >= 0 ? process.argv[at + 1] : undefined;
  };
  const sizes = (arg("--sizes") ?? "5000,50000,500000").split(",").map(Number);
  const result = await benchDiscoveryScaling({ sizes, iterations: Number(arg("--iterations") ?? 50), log: console.log });
  console.log(JSON.stringify(result));
}
