/**
 * Fresh databases for the bench: created on the server of DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres), optionally migrated, always dropped.
 */
import postgres, { type Sql } from "postgres";
import { migrate } from "../../src/db/migrator.ts";
import { silentLogger } from "../../src/telemetry/logger.ts";
import { withDatabase } from "../../test/support/postgres.ts";

export const ADMIN_URL = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
let counter = 0;

export function adminSql(): Sql {
  return postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
}

export interface BenchDatabase {
  name: string;
  url: string;
}

/** Runs `body` against a new database named `tasker_bench_<pid>_<label>_<n>`, dropped afterwards. */
export async function withBenchDatabase<T>(
  label: string,
  options: { migrate: boolean; /** Another server's admin URL (default DATABASE_URL's). */ adminUrl?: string },
  body: (db: BenchDatabase) => Promise<T>,
): Promise<T> {
  counter += 1;
  const name = `tasker_bench_${process.pid}_${label.replace(/[^a-z0-9]+/gi, "_").toLowerCase()}_${counter}`;
  const server = options.adminUrl ?? ADMIN_URL;
  const admin = postgres(server, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.unsafe(`CREATE DATABASE "${name}"`);
    try {
      const url = withDatabase(server, name);
      if (options.migrate) {
        const sql = postgres(url, { max: 1, onnotice: () => {} });
        try {
          await migrate(sql, { logger: silentLogger });
        } finally {
          await sql.end({ timeout: 5 });
        }
      }
      return await body({ name, url });
    } finally {
      await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/** Drops databases of earlier bench runs whose process is gone (a run killed mid-way). */
export async function dropStaleBenchDatabases(): Promise<void> {
  const admin = adminSql();
  try {
    const rows = await admin<{ datname: string }[]>`SELECT datname FROM pg_database WHERE datname LIKE 'tasker_bench_%'`;
    for (const { datname } of rows) {
      const pid = Number(datname.split("_")[2]);
      if (!Number.isFinite(pid) || pid === process.pid) continue;
      let alive = true;
      try {
        process.kill(pid, 0);
      } catch (error) {
        alive = (error as { code?: string }).code === "EPERM";
      }
      if (!alive) await admin.unsafe(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => {});
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
}
