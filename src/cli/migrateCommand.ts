import type { ResolvedConfig } from "../config/index.ts";
import { closePool, createPool, ensureDatabase, migrate } from "../db/index.ts";
import type { Logger } from "../telemetry/logger.ts";

/** `tasker migrate`: applies pending migrations and reports what it did. */
export async function migrateCommand(resolved: ResolvedConfig, logger: Logger, out: (line: string) => void): Promise<number> {
  const { database } = resolved.config;
  await ensureDatabase(database.url, logger);
  const sql = createPool({
    url: database.url,
    maxConnections: 1,
    idleTimeoutSeconds: database.pool.idle_timeout_seconds,
    connectTimeoutSeconds: database.pool.connect_timeout_seconds,
    applicationName: "tasker-migrate",
    logger,
  });
  try {
    const report = await migrate(sql, { logger });
    if (report.applied.length === 0 && report.skipped.length === 0) {
      out(`database is up to date (schema version ${report.databaseVersion})`);
    } else {
      for (const name of report.applied) out(`applied ${name}`);
      for (const name of report.skipped) out(`skipped ${name} (not needed on this database)`);
      out(`database is at schema version ${report.databaseVersion}`);
    }
    return 0;
  } finally {
    await closePool(sql);
  }
}
