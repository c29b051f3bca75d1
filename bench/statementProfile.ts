/**
 * Where PostgreSQL's time goes per step: the one-step drain of `throughput.ts` on a throwaway
 * cluster that preloads pg_stat_statements (track = all, so statements inside the plpgsql
 * functions are counted too; fsync on, as on the bench's server). The server of DATABASE_URL
 * usually does not preload it, and preloading needs a restart, hence a cluster of our own.
 */
import postgres from "postgres";
import { startThrowawayCluster } from "../test/support/postgres.ts";
import { benchThroughput, type StatementCost } from "./throughput.ts";

export interface StatementProfileResult {
  server: string;
  steps: number;
  stepsPerSecond: number;
  perStep: { commits: number; rowsInserted: number; rowsUpdated: number; rowsDeleted: number; postgresCpuMs: number };
  statements: StatementCost[];
}

export async function benchStatementProfile(options: { steps: number; log: (l: string) => void }): Promise<StatementProfileResult> {
  const cluster = await startThrowawayCluster({
    fsync: "on",
    shared_preload_libraries: "pg_stat_statements",
    "pg_stat_statements.track": "all",
    "pg_stat_statements.max": "5000",
    shared_buffers: "128MB",
  });
  try {
    const admin = postgres(cluster.url, { max: 1, onnotice: () => {} });
    const [row] = await admin<{ v: string }[]>`SELECT split_part(version(), ' on ', 1) AS v`.finally(() => admin.end({ timeout: 5 }));
    const r = await benchThroughput({ workers: 1, steps: options.steps, template: "noop_single", statements: true, adminUrl: cluster.url, log: options.log });
    const statements = r.statements ?? [];
    options.log(`  per step, by statement (${row!.v}): ` +
      statements.slice(0, 6).map((s) => `${s.msPerStep.toFixed(3)} ms ${s.query.slice(0, 50)}`).join("; "));
    return { server: row!.v, steps: r.steps, stepsPerSecond: r.stepsPerSecond, perStep: r.perStep, statements };
  } finally {
    await cluster.stop();
  }
}
