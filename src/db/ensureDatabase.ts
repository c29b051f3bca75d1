import postgres from "postgres";
import type { Logger } from "../telemetry/logger.ts";
import { SqlState, sqlStateOf } from "./sqlState.ts";

/**
 * Creates the database named in `url` when the server answers that it does not
 * exist, so `tasker migrate` (and a role started with --migrate) works against a
 * bare server. Connects to the `postgres` maintenance database to do so; any
 * other failure is left for the caller's connection to report.
 */
export async function ensureDatabase(url: string, logger: Logger): Promise<void> {
  const probe = postgres(url, { max: 1, connect_timeout: 10, onnotice: () => {} });
  try {
    await probe`SELECT 1`;
    return;
  } catch (error) {
    if (sqlStateOf(error) !== SqlState.invalidCatalogName) return;
  } finally {
    await probe.end({ timeout: 2 }).catch(() => {});
  }
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ""));
  const maintenance = new URL(url);
  maintenance.pathname = "/postgres";
  const admin = postgres(maintenance.toString(), { max: 1, connect_timeout: 10, onnotice: () => {} });
  try {
    await admin`CREATE DATABASE ${admin(name)}`;
    logger.info("created database", { database: name });
  } catch (error) {
    // Another process created it first.
    if (sqlStateOf(error) !== SqlState.duplicateDatabase) throw error;
  } finally {
    await admin.end({ timeout: 2 }).catch(() => {});
  }
}
