import postgres, { type Sql } from "postgres";
import type { Logger } from "../telemetry/logger.ts";

export interface PoolOptions {
  url: string;
  maxConnections: number;
  idleTimeoutSeconds: number;
  connectTimeoutSeconds: number;
  /** Shown in pg_stat_activity, so operators can tell roles apart. */
  applicationName: string;
  logger: Logger;
}

export type Database = Sql;

/**
 * Seconds before a pool connection that closed with an error reconnects. postgres.js's default
 * grows with a retry count shared by the whole pool (3^n / 100 s, capped at 20 s) and is reset
 * only by a successful connect, so after a PostgreSQL restart, in which every connection fails
 * at once, queries queued on a closed connection waited up to 20 s (test/faults/postgresRestart).
 * Capped at 2 s instead, with jitter.
 */
export function reconnectBackoffSeconds(retries: number): number {
  return Math.min(0.1 * 2 ** retries, 2) * (0.5 + Math.random() / 2);
}

/**
 * The process's connection pool. bigint columns stay strings (postgres.js default);
 * notices go to the logger at debug level instead of stdout. Sessions run in UTC, so
 * timestamps rendered by SQL (jsonb) are RFC 3339 in UTC whatever the server's zone.
 */
export function createPool(options: PoolOptions): Database {
  return postgres(options.url, {
    max: options.maxConnections,
    idle_timeout: options.idleTimeoutSeconds,
    connect_timeout: options.connectTimeoutSeconds,
    backoff: reconnectBackoffSeconds,
    connection: { application_name: options.applicationName, TimeZone: "UTC" },
    onnotice: (notice) => options.logger.debug("postgres notice", { notice: notice["message"] }),
  });
}

/** Closes the pool, waiting at most `timeoutSeconds` for running queries. */
export async function closePool(sql: Database, timeoutSeconds = 5): Promise<void> {
  await sql.end({ timeout: timeoutSeconds });
}
