/**
 * The test-support fallback when no PostgreSQL answers: a throwaway cluster in a
 * temp directory. Exercised here directly (the run itself normally finds a
 * server), including the restart the fault suite relies on.
 */
import postgres from "postgres";
import { existsSync } from "node:fs";
import { migrate } from "../../src/db/migrator.ts";
import { silentLogger } from "../../src/telemetry/logger.ts";
import { findPostgresBinDir, startThrowawayCluster } from "../support/postgres.ts";
import { waitFor } from "../support/waitFor.ts";
import { describe, expect, test } from "../support/test.ts";

describe.skipIf(!findPostgresBinDir())("throwaway cluster", () => {
  test("starts_migrates_survives_a_restart_and_is_removed_when_stopped", async () => {
    const cluster = await startThrowawayCluster();
    try {
      const sql = postgres(cluster.url, { max: 2, onnotice: () => {} });
      try {
        const report = await migrate(sql, { logger: silentLogger });
        expect(report.databaseVersion).toBeGreaterThan(0);
        await cluster.restart();
        const [row] = await waitFor(
          async () => sql<{ n: number }[]>`SELECT count(*)::int AS n FROM tasker.schema_migrations`,
          { timeoutMs: 15_000, description: "the restarted cluster to answer" },
        );
        expect(row?.n).toBe(report.applied.length + report.skipped.length);
      } finally {
        await sql.end({ timeout: 2 });
      }
    } finally {
      await cluster.stop();
    }
    expect(existsSync(cluster.dataDir)).toBe(false);
  });
});
