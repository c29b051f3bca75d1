/**
 * What dynamic workflows cost (issue 13), on one `--role combined` process and a fresh database:
 *   - a decision: three no-op steps in a row (static_chain) against the same chain whose middle
 *     step is a decision that creates the last one (decided_chain), one task at a time; the
 *     difference of the p50s is the decision's extra cost;
 *   - creating batch steps: an analyzer whose one completion creates N no-op batch steps and their
 *     aggregator (fan_out_batches), one task at a time;
 *   - the completing transaction itself, from the worker's metrics: a decision's or an analyzer's
 *     completion (`tasker_decision_point_processing_duration_milliseconds`) against a plain
 *     step's (`tasker_step_result_submission_duration_milliseconds`).
 * Measures only; asserts nothing about time.
 *
 *   node_modules/.bin/bun run build && node_modules/.bin/bun bench/dynamicCost.ts [--tasks N]
 */
import postgres from "postgres";
import { parsePrometheus, sumOf } from "../test/support/prometheus.ts";
import { withBenchDatabase } from "./support/benchDatabase.ts";
import { distribution, type Distribution } from "./support/stats.ts";
import { BENCH_HANDLERS, createTask, startRole, stopRoles, type RunningRole } from "./support/taskerRoles.ts";

export interface DynamicCostResult {
  tasks: number;
  batches: number;
  /** Server time (task created to completed), ms. */
  staticChain: Distribution;
  decidedChain: Distribution;
  /** decidedChain p50 - staticChain p50. */
  decisionExtraMs: number;
  fanOut: Distribution;
  /** Mean ms of one completing transaction, from the worker's histograms. */
  completionMs: { plain: number; decision: number; batchable: number };
}

export interface DynamicCostOptions {
  tasks: number;
  batches: number;
  log: (line: string) => void;
}

export async function benchDynamicCost(options: DynamicCostOptions): Promise<DynamicCostResult> {
  return withBenchDatabase("dynamic", { migrate: false }, async ({ url }) => {
    const roles: RunningRole[] = [];
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      roles.push(await startRole("combined", url, { handlersDir: BENCH_HANDLERS, args: ["--namespace", "bench_dynamic"] }));
      const baseUrl = roles[0]!.baseUrl;
      let seq = 0;
      const run = async (name: string, context: Record<string, unknown> = {}): Promise<number> => {
        seq += 1;
        const { taskUuid } = await createTask(baseUrl, { namespace: "bench_dynamic", name, context, idempotency_key: `dyn-${seq}` });
        for (;;) {
          const [row] = await sql<{ state: string; ms: number | null }[]>`
            SELECT state, extract(epoch FROM completed_at - created_at) * 1000 AS ms FROM tasker.tasks WHERE task_uuid = ${taskUuid}::uuid`;
          if (row?.state === "complete") return Number(row.ms);
          if (row && ["error", "blocked_by_failures", "cancelled"].includes(row.state)) throw new Error(`${name} ended ${row.state}`);
          await Bun.sleep(1);
        }
      };
      const series = async (name: string, count: number, context?: Record<string, unknown>) => {
        for (let i = 0; i < 3; i += 1) await run(name, context); // warm-up
        const samples: number[] = [];
        for (let i = 0; i < count; i += 1) samples.push(await run(name, context));
        return samples;
      };
      const staticSamples: number[] = [];
      const decidedSamples: number[] = [];
      await series("static_chain", 0);
      await series("decided_chain", 0);
      for (let i = 0; i < options.tasks; i += 1) {
        // Interleaved, so a drift in load hits both alike.
        staticSamples.push(await run("static_chain"));
        decidedSamples.push(await run("decided_chain"));
      }
      const scrape = async () => parsePrometheus(await (await fetch(`${baseUrl}/metrics`)).text());
      const mean = (metrics: Awaited<ReturnType<typeof scrape>>, name: string, where: Record<string, string> = {}) =>
        sumOf(metrics, `${name}_sum`, where) / Math.max(1, sumOf(metrics, `${name}_count`, where));
      // The chains alone: one step completes at a time, as in the latency figures.
      const chains = await scrape();
      const fanOut = await series("fan_out_batches", Math.max(3, Math.round(options.tasks / 10)), { batches: options.batches });
      const all = await scrape();
      const result: DynamicCostResult = {
        tasks: options.tasks,
        batches: options.batches,
        staticChain: distribution(staticSamples),
        decidedChain: distribution(decidedSamples),
        decisionExtraMs: 0,
        fanOut: distribution(fanOut),
        completionMs: {
          plain: mean(chains, "tasker_step_result_submission_duration_milliseconds"),
          decision: mean(chains, "tasker_decision_point_processing_duration_milliseconds", { step_type: "decision" }),
          batchable: mean(all, "tasker_decision_point_processing_duration_milliseconds", { step_type: "batchable" }),
        },
      };
      result.decisionExtraMs = result.decidedChain.p50 - result.staticChain.p50;
      const f = (d: Distribution) => `${d.p50.toFixed(1)}/${d.p95.toFixed(1)}`;
      options.log(
        `  3-step chain p50/p95 ${f(result.staticChain)} ms; with a decision ${f(result.decidedChain)} ms ` +
          `(+${result.decisionExtraMs.toFixed(2)} ms); ${options.batches} batch steps from one analyzer ${f(result.fanOut)} ms`,
      );
      options.log(
        `  one completion: plain ${result.completionMs.plain.toFixed(2)} ms, decision ${result.completionMs.decision.toFixed(2)} ms, ` +
          `analyzer creating ${options.batches} steps ${result.completionMs.batchable.toFixed(2)} ms`,
      );
      return result;
    } finally {
      await sql.end({ timeout: 5 });
      await stopRoles(roles);
    }
  });
}

if (import.meta.main) {
  const at = process.argv.indexOf("--tasks");
  const tasks = at >= 0 ? Number(process.argv[at + 1]) : 50;
  await benchDynamicCost({ tasks, batches: 100, log: (line) => console.log(line) });
}
