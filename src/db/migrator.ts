import { createHash } from "node:crypto";
import type { Sql, TransactionSql } from "postgres";
import { MigrationError, toError } from "../lib/errors.ts";
import type { Logger } from "../telemetry/logger.ts";
import { VERSION } from "../version.ts";
import { LATEST_MIGRATION_VERSION, MIGRATIONS, type Migration } from "./migrations.ts";

/** Arbitrary but fixed: every tasker process migrating one database queues on this key. */
export const MIGRATION_LOCK_KEY = 7_245_811_301n;

/**
 * First line `-- tasker:skip-if <query>`: when the query returns true the migration is
 * recorded as skipped. Used for the built-in PGMQ layer, which must not be installed
 * where a `pgmq` schema (extension or SQL install) already exists.
 */
const SKIP_IF = /^--\s*tasker:skip-if\s+(.+)$/m;

export interface MigrationReport {
  applied: string[];
  skipped: string[];
  /** Highest version recorded after the run. */
  databaseVersion: number;
  binaryVersion: number;
}

export interface SchemaStatus {
  databaseVersion: number;
  binaryVersion: number;
  pending: string[];
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

export function checksumOf(migration: Migration): string {
  return createHash("sha256").update(migration.sql).digest("hex");
}

async function ensureTable(tx: TransactionSql): Promise<void> {
  await tx`CREATE SCHEMA IF NOT EXISTS tasker`;
  await tx`
    CREATE TABLE IF NOT EXISTS tasker.schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      skipped boolean NOT NULL DEFAULT false,
      applied_by text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )`;
}

function assertCompatible(applied: readonly AppliedRow[], migrations: readonly Migration[]): void {
  const latest = migrations.at(-1)?.version ?? 0;
  const newest = applied.reduce((max, row) => Math.max(max, row.version), 0);
  if (newest > latest) {
    throw new MigrationError(
      "DATABASE_NEWER_THAN_BINARY",
      `the database is at migration ${newest} but this binary (tasker ${VERSION}) knows only up to ${latest}; ` +
        "upgrade the binary instead of running an older one against this database",
    );
  }
  for (const row of applied) {
    const known = migrations.find((m) => m.version === row.version);
    if (known && checksumOf(known) !== row.checksum) {
      throw new MigrationError(
        "MIGRATION_FAILED",
        `migration ${row.name} was changed after it was applied (checksum mismatch); migrations are immutable`,
      );
    }
  }
}

async function readApplied(sql: Sql | TransactionSql): Promise<AppliedRow[] | undefined> {
  const [exists] = await sql<{ present: boolean }[]>`
    SELECT to_regclass('tasker.schema_migrations') IS NOT NULL AS present`;
  if (!exists?.present) return undefined;
  return sql<AppliedRow[]>`SELECT version, name, checksum FROM tasker.schema_migrations ORDER BY version`;
}

/**
 * Applies pending migrations in one transaction under a transaction-level advisory
 * lock: processes that start together queue on the lock, and every one after the
 * first finds nothing to do. Idempotent.
 */
export async function migrate(
  sql: Sql,
  options: { logger: Logger; migrations?: readonly Migration[] },
): Promise<MigrationReport> {
  const migrations = options.migrations ?? MIGRATIONS;
  const binaryVersion = migrations.at(-1)?.version ?? 0;
  const report: MigrationReport = { applied: [], skipped: [], databaseVersion: 0, binaryVersion };

  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
    await ensureTable(tx);
    const applied = (await readApplied(tx)) ?? [];
    assertCompatible(applied, migrations);
    const done = new Set(applied.map((row) => row.version));

    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      const skipQuery = SKIP_IF.exec(migration.sql.split("\n", 1)[0] ?? "")?.[1];
      let skipped = false;
      if (skipQuery) {
        const [row] = await tx.unsafe<{ skip: boolean }[]>(`SELECT (${skipQuery}) AS skip`);
        skipped = row?.skip === true;
      }
      if (!skipped) {
        try {
          await tx.unsafe(migration.sql);
        } catch (error) {
          throw new MigrationError("MIGRATION_FAILED", `migration ${migration.name} failed: ${toError(error).message}`, {
            cause: error,
          });
        }
      }
      await tx`
        INSERT INTO tasker.schema_migrations (version, name, checksum, skipped, applied_by)
        VALUES (${migration.version}, ${migration.name}, ${checksumOf(migration)}, ${skipped}, ${`tasker ${VERSION}`})`;
      (skipped ? report.skipped : report.applied).push(migration.name);
      options.logger.info(skipped ? "migration skipped" : "migration applied", {
        operation: "migrate",
        migration: migration.name,
      });
    }
    const [max] = await tx<{ version: number | null }[]>`SELECT max(version) AS version FROM tasker.schema_migrations`;
    report.databaseVersion = max?.version ?? 0;
  });
  return report;
}

/** Reads where the database stands without changing it. */
export async function schemaStatus(sql: Sql, migrations: readonly Migration[] = MIGRATIONS): Promise<SchemaStatus> {
  const applied = (await readApplied(sql)) ?? [];
  assertCompatible(applied, migrations);
  const done = new Set(applied.map((row) => row.version));
  return {
    databaseVersion: applied.reduce((max, row) => Math.max(max, row.version), 0),
    binaryVersion: migrations.at(-1)?.version ?? 0,
    pending: migrations.filter((m) => !done.has(m.version)).map((m) => m.name),
  };
}

export { LATEST_MIGRATION_VERSION };
