import { createEmptyDatabase } from "../support/database.ts";
import { afterAll, beforeAll, describe, expect, test } from "../support/test.ts";
import postgres, { type Sql } from "postgres";
import { migrate, schemaStatus } from "../../src/db/migrator.ts";
import { MIGRATIONS } from "../../src/db/migrations.ts";
import { silentLogger } from "../../src/telemetry/logger.ts";
import { MigrationError } from "../../src/lib/errors.ts";

describe("migrator", () => {
  let db: Awaited<ReturnType<typeof createEmptyDatabase>>;
  let sql: Sql;
  beforeAll(async () => {
    db = await createEmptyDatabase("migrator");
    sql = postgres(db.url, { max: 4, onnotice: () => {} });
  });
  afterAll(async () => {
    await sql.end({ timeout: 5 });
    await db.drop();
  });

  test("applies_every_migration_to_an_empty_database_and_records_them", async () => {
    const report = await migrate(sql, { logger: silentLogger });
    expect(report.applied.length + report.skipped.length).toBe(MIGRATIONS.length);
    expect(report.databaseVersion).toBe(MIGRATIONS.at(-1)?.version ?? 0);
    const rows = await sql<{ version: number }[]>`SELECT version FROM tasker.schema_migrations ORDER BY version`;
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  test("second_run_changes_nothing", async () => {
    const before = await sql`SELECT version, applied_at FROM tasker.schema_migrations ORDER BY version`;
    const report = await migrate(sql, { logger: silentLogger });
    expect(report.applied).toEqual([]);
    expect(report.skipped).toEqual([]);
    const after = await sql`SELECT version, applied_at FROM tasker.schema_migrations ORDER BY version`;
    expect(after).toEqual(before);
    expect((await schemaStatus(sql)).pending).toEqual([]);
  });

  test("uuid_generate_v7_returns_time_ordered_version_7_ids", async () => {
    const rows = await sql<{ id: string }[]>`SELECT tasker.uuid_generate_v7()::text AS id FROM generate_series(1, 50)`;
    for (const { id } of rows) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const prefixes = rows.map((r) => r.id.slice(0, 13));
    expect([...prefixes].sort()).toEqual(prefixes);
    const [row] = await sql<{ ms: string }[]>`
      SELECT ('x' || lpad(replace(left(tasker.uuid_generate_v7()::text, 13), '-', ''), 16, '0'))::bit(64)::bigint AS ms`;
    expect(Math.abs(Number(row?.ms) - Date.now())).toBeLessThan(60_000);
  });

  test("refuses_a_database_migrated_by_a_newer_binary", async () => {
    await sql`INSERT INTO tasker.schema_migrations (version, name, checksum, applied_by)
              VALUES (9999, '9999_future.sql', 'x', 'tasker 99.0.0')`;
    try {
      const error = await migrate(sql, { logger: silentLogger }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MigrationError);
      expect((error as MigrationError).code).toBe("DATABASE_NEWER_THAN_BINARY");
      expect(String((error as Error).message)).toContain("9999");
      const statusError = await schemaStatus(sql).catch((e: unknown) => e);
      expect(String(statusError)).toMatch(/knows only up to/);
    } finally {
      await sql`DELETE FROM tasker.schema_migrations WHERE version = 9999`;
    }
  });

  test("refuses_when_a_landed_migration_was_edited", async () => {
    const [first] = MIGRATIONS;
    if (!first) throw new Error("no migrations");
    const edited = [{ ...first, sql: `${first.sql}\n-- edited` }, ...MIGRATIONS.slice(1)];
    const error = await migrate(sql, { logger: silentLogger, migrations: edited }).catch((e: unknown) => e);
    expect(String(error)).toMatch(/checksum mismatch/);
  });
});

describe("concurrent migrators", () => {
  test("several_processes_migrating_at_once_all_succeed_and_apply_each_migration_once", async () => {
    const db = await createEmptyDatabase("migrator_race");
    const pools = Array.from({ length: 4 }, () => postgres(db.url, { max: 2, onnotice: () => {} }));
    try {
      const reports = await Promise.all(pools.map((p) => migrate(p, { logger: silentLogger })));
      const appliedTotal = reports.reduce((n, r) => n + r.applied.length + r.skipped.length, 0);
      expect(appliedTotal).toBe(MIGRATIONS.length);
      const [pool] = pools;
      const rows = await pool!<{ n: number }[]>`SELECT count(*)::int AS n FROM tasker.schema_migrations`;
      expect(rows[0]?.n).toBe(MIGRATIONS.length);
    } finally {
      await Promise.all(pools.map((p) => p.end({ timeout: 5 })));
      await db.drop();
    }
  });
});
