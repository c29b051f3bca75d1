import { DatabaseUnavailableError, toError } from "../lib/errors.ts";
import { backoffMs, delay } from "../lib/time.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { Database } from "./pool.ts";
import { SqlState, sqlStateOf } from "./sqlState.ts";

/**
 * Retries `SELECT 1` with capped exponential backoff until the database answers or
 * the signal aborts. Processes may start before PostgreSQL does.
 */
export async function waitForDatabase(sql: Database, signal: AbortSignal, logger: Logger): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await sql`SELECT 1`;
      if (attempt > 1) logger.info("database reachable", { attempts: attempt });
      return;
    } catch (error) {
      if (sqlStateOf(error) === SqlState.invalidCatalogName) {
        throw new DatabaseUnavailableError(
          `${toError(error).message}: run \`tasker migrate\` (it creates the database) or start with --migrate`,
          { cause: error },
        );
      }
      const waitMs = backoffMs(attempt, 250, 10_000);
      logger.warn("database not reachable; retrying", { attempt, retry_in_ms: waitMs, error: toError(error).message });
      await delay(waitMs, signal);
    }
  }
}
