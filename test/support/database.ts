/**
 * Per-file test databases. The template database `tasker_tpl_<migrations hash>`
 * is migrated once (under an advisory lock, so parallel workers build it once) and
 * every test file clones it with CREATE DATABASE ... TEMPLATE, so files never share
 * state. A file's database is dropped when all its tests passed and kept otherwise
 * (its name is printed); the next run drops what earlier runs kept.
 */
import { createHash } from "node:crypto";
import { basename } from "node:path";
import { afterAll, beforeAll } from "bun:test";
import postgres, { type Sql } from "postgres";
import { migrate } from "../../src/db/migrator.ts";
import { MIGRATIONS } from "../../src/db/migrations.ts";
import { silentLogger } from "../../src/telemetry/logger.ts";
import { findPostgres, type PostgresServer } from "./postgres.ts";
import { testOutcomes } from "./testOutcomes.ts";

const TEMPLATE_LOCK_KEY = 7_245_811_302n;
const FILE_DB_PREFIX = "tasker_t_";
const TEMPLATE_PREFIX = "tasker_tpl_";

let serverPromise: Promise<PostgresServer> | undefined;
let templatePromise: Promise<string> | undefined;

export function testServer(): Promise<PostgresServer> {
  serverPromise ??= findPostgres();
  return serverPromise;
}

function admin(server: PostgresServer): Sql {
  return postgres(server.adminUrl, { max: 1, onnotice: () => {} });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}

/** Drops databases left by earlier runs whose process is gone. */
async function dropLeftovers(sql: Sql): Promise<void> {
  const rows = await sql<{ datname: string }[]>`
    SELECT datname FROM pg_database WHERE datname LIKE ${`${FILE_DB_PREFIX}%`}`;
  for (const { datname } of rows) {
    const pid = Number(datname.slice(FILE_DB_PREFIX.length).split("_")[0]);
    if (Number.isFinite(pid) && !pidAlive(pid)) {
      await sql.unsafe(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => {});
    }
  }
}

function migrationsHash(): string {
  const hash = createHash("sha256");
  for (const m of MIGRATIONS) hash.update(m.name).update(m.sql);
  return hash.digest("hex").slice(0, 16);
}

async function buildTemplate(server: PostgresServer): Promise<string> {
  const name = `${TEMPLATE_PREFIX}${migrationsHash()}`;
  const sql = admin(server);
  try {
    await sql`SELECT pg_advisory_lock(${TEMPLATE_LOCK_KEY.toString()}::bigint)`;
    await dropLeftovers(sql);
    const [existing] = await sql`SELECT 1 FROM pg_database WHERE datname = ${name}`;
    if (!existing) {
      // Templates of other migration sets are stale; one still in use is left alone.
      const stale = await sql<{ datname: string }[]>`
        SELECT datname FROM pg_database WHERE datname LIKE ${`${TEMPLATE_PREFIX}%`} AND datname <> ${name}`;
      for (const { datname } of stale) {
        await sql.unsafe(`ALTER DATABASE "${datname}" IS_TEMPLATE false`).catch(() => {});
        await sql.unsafe(`DROP DATABASE IF EXISTS "${datname}"`).catch(() => {});
      }
      const building = `${name}_build`;
      await sql.unsafe(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
      await sql.unsafe(`CREATE DATABASE "${building}"`);
      const target = postgres(server.urlFor(building), { max: 1, onnotice: () => {} });
      try {
        await migrate(target, { logger: silentLogger });
      } finally {
        await target.end({ timeout: 5 });
      }
      await sql.unsafe(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
      // Nobody connects to the template by accident (which would block cloning).
      await sql.unsafe(`ALTER DATABASE "${name}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
    }
    return name;
  } finally {
    await sql`SELECT pg_advisory_unlock(${TEMPLATE_LOCK_KEY.toString()}::bigint)`.catch(() => {});
    await sql.end({ timeout: 5 });
  }
}

/** Stops a throwaway cluster if this process started one; a no-op otherwise. */
export async function stopTestServer(): Promise<void> {
  if (!serverPromise) return;
  const server = await serverPromise.catch(() => undefined);
  if (server?.source === "throwaway") await server.stop();
}

/** The migrated template's name; built once per process, reused across runs. */
export async function templateDatabase(): Promise<string> {
  templatePromise ??= testServer().then(buildTemplate);
  return templatePromise;
}

/** A fresh, empty (never migrated) database, for migrator tests. */
export async function createEmptyDatabase(label: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const server = await testServer();
  const name = databaseName(label);
  const sql = admin(server);
  try {
    await sql.unsafe(`CREATE DATABASE "${name}"`);
  } finally {
    await sql.end({ timeout: 5 });
  }
  return {
    name,
    url: server.urlFor(name),
    drop: async () => {
      const a = admin(server);
      try {
        await a.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await a.end({ timeout: 5 });
      }
    },
  };
}

function databaseName(label: string): string {
  const slug = label.toLowerCase().replace(/[^a-z0-9]+/g, "_").slice(0, 30);
  const suffix = Math.random().toString(36).slice(2, 6);
  return `${FILE_DB_PREFIX}${process.pid}_${slug}_${suffix}`;
}

export interface TestDatabase {
  /** A pool on this file's database (closed after the file). */
  readonly sql: Sql;
  readonly url: string;
  readonly name: string;
}

/**
 * Call at the top level of a test file with a label (`import.meta.file`). Clones the template before the file's
 * tests and drops the clone after them unless a test failed.
 */
export function useTestDatabase(label: string): TestDatabase {
  let state: { sql: Sql; url: string; name: string } | undefined;
  const mark = testOutcomes.mark();
  beforeAll(async () => {
    const server = await testServer();
    const template = await templateDatabase();
    const name = databaseName(basename(label, ".test.ts"));
    const sql = admin(server);
    try {
      await sql.unsafe(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
    } finally {
      await sql.end({ timeout: 5 });
    }
    const url = server.urlFor(name);
    state = { sql: postgres(url, { max: 10, onnotice: () => {} }), url, name };
  });
  afterAll(async () => {
    if (!state) return;
    await state.sql.end({ timeout: 5 });
    if (testOutcomes.allPassedSince(mark)) {
      const sql = admin(await testServer());
      try {
        await sql.unsafe(`DROP DATABASE IF EXISTS "${state.name}" WITH (FORCE)`);
      } finally {
        await sql.end({ timeout: 5 });
      }
    } else {
      process.stderr.write(`kept database ${state.name} of a failed test for inspection: ${state.url}\n`);
    }
  });
  const ready = (): { sql: Sql; url: string; name: string } => {
    if (!state) throw new Error("useTestDatabase(): the database is created in beforeAll; use it inside tests");
    return state;
  };
  return {
    get sql() {
      return ready().sql;
    },
    get url() {
      return ready().url;
    },
    get name() {
      return ready().name;
    },
  };
}
