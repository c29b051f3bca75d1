/**
 * The compiled binary as a user runs it: flags, migrate, config check, a role's
 * boot, health and clean stop. Sources are never imported here.
 */
import postgres from "postgres";
import { createEmptyDatabase } from "../support/database.ts";
import { runTasker, spawnTasker } from "../support/binary.ts";
import { freePort } from "../support/ports.ts";
import { waitFor } from "../support/waitFor.ts";
import { afterAll, beforeAll, describe, expect, test } from "../support/test.ts";

describe("command line", () => {
  test("prints_version_and_help", async () => {
    const version = await runTasker(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^tasker \d+\.\d+\.\d+/);
    const help = await runTasker(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--role <orchestration|worker|combined>");
  });

  test("unknown_flag_or_role_is_a_usage_error_with_exit_code_2", async () => {
    const flag = await runTasker(["--role", "worker", "--frobnicate"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("--frobnicate");
    expect(flag.stderr).toContain("Usage:");
    const role = await runTasker(["--role", "janitor"]);
    expect(role.code).toBe(2);
    expect(role.stderr).toContain('--role must be one of orchestration, worker, combined; got "janitor"');
    const none = await runTasker([]);
    expect(none.code).toBe(2);
  });
});

describe("tasker migrate on an empty database", () => {
  let db: Awaited<ReturnType<typeof createEmptyDatabase>>;
  beforeAll(async () => {
    db = await createEmptyDatabase("e2e_migrate");
  });
  afterAll(async () => {
    await db.drop();
  });

  test("creates_schema_tasker_and_a_working_queue_layer_and_a_second_run_changes_nothing", async () => {
    const first = await runTasker(["migrate"], { env: { DATABASE_URL: db.url } });
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("applied 0001_tasker_schema.sql");

    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      const before = await sql`SELECT version, applied_at FROM tasker.schema_migrations ORDER BY version`;
      await sql`SELECT pgmq.create('e2e_probe')`;
      await sql`SELECT tasker.pgmq_send_with_notify('e2e_probe', ${sql.json({ hello: "world" })}::jsonb, 0)`;
      const [message] = await sql<{ message: { hello: string } }[]>`SELECT message FROM pgmq.read('e2e_probe', 30, 1)`;
      expect(message?.message.hello).toBe("world");

      const second = await runTasker(["migrate"], { env: { DATABASE_URL: db.url } });
      expect(second.code).toBe(0);
      expect(second.stdout).toContain("up to date");
      const after = await sql`SELECT version, applied_at FROM tasker.schema_migrations ORDER BY version`;
      expect(after).toEqual(before);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });

  test("two_migrate_processes_started_together_both_succeed", async () => {
    const fresh = await createEmptyDatabase("e2e_migrate_race");
    try {
      const [a, b] = await Promise.all([
        runTasker(["migrate"], { env: { DATABASE_URL: fresh.url } }),
        runTasker(["migrate"], { env: { DATABASE_URL: fresh.url } }),
      ]);
      expect([a.code, b.code, a.stderr, b.stderr]).toEqual([0, 0, "", ""]);
      const sql = postgres(fresh.url, { max: 1, onnotice: () => {} });
      try {
        const rows = await sql<{ n: number; distinct_versions: number }[]>`
          SELECT count(*)::int AS n, count(DISTINCT version)::int AS distinct_versions FROM tasker.schema_migrations`;
        expect(rows[0]?.n).toBe(rows[0]?.distinct_versions);
      } finally {
        await sql.end({ timeout: 5 });
      }
    } finally {
      await fresh.drop();
    }
  });
});

describe("tasker config check", () => {
  test("prints_the_resolved_config_with_the_password_masked", async () => {
    const result = await runTasker(["config", "check"], {
      env: { DATABASE_URL: "postgres://app:s3cret-pw@db.internal:5432/tasker" },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("db.internal");
    expect(result.stdout).not.toContain("s3cret-pw");
    expect(result.stdout).toContain("max_connections");
  });

  test("names_the_bad_key_value_and_source", async () => {
    const result = await runTasker(["config", "check"], { env: { TASKER_DATABASE__POOL__MAX_CONNECTIONS: "lots" } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("database.pool.max_connections");
    expect(result.stderr).toContain("lots");
    expect(result.stderr).toContain("TASKER_DATABASE__POOL__MAX_CONNECTIONS");
  });
});

describe("a role process", () => {
  let db: Awaited<ReturnType<typeof createEmptyDatabase>>;
  beforeAll(async () => {
    db = await createEmptyDatabase("e2e_role");
  });
  afterAll(async () => {
    await db.drop();
  });

  test("refuses_to_start_on_an_unmigrated_database_without_migrate", async () => {
    const port = await freePort();
    const result = await runTasker(["--role", "orchestration", "--port", String(port)], {
      env: { DATABASE_URL: db.url, TASKER_TELEMETRY__LOG_FORMAT: "json" },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("tasker migrate");
  });

  for (const role of ["combined", "orchestration", "worker"] as const) {
    test(`${role}_boots_migrates_serves_health_and_stops_cleanly_on_sigterm`, async () => {
      const port = await freePort();
      const proc = spawnTasker(["--role", role, "--port", String(port), "--migrate"], {
        env: { DATABASE_URL: db.url, TASKER_TELEMETRY__LOG_FORMAT: "json", TASKER_TELEMETRY__LOG_LEVEL: "info" },
      });
      try {
        await proc.waitForLog((l) => l["msg"] === "ready");
        const ready = await waitFor(
          async () => {
            const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
            return res.status === 200 ? ((await res.json()) as { status: string; checks: Record<string, unknown> }) : undefined;
          },
          { timeoutMs: 10_000, description: "/health/ready to answer 200" },
        );
        expect(ready.status).toBe("ready");
        expect(Object.keys(ready.checks)).toContain("database");
        const health = await fetch(`http://127.0.0.1:${port}/health`);
        expect(health.status).toBe(200);
        expect(((await health.json()) as { role: string }).role).toBe(role);
        const missing = await fetch(`http://127.0.0.1:${port}/nope`);
        expect(missing.status).toBe(404);
        expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
        // GET /config exists only with web.config_endpoint_enabled (secrets.test.ts turns it on).
        expect((await fetch(`http://127.0.0.1:${port}/config`)).status).toBe(404);
      } finally {
        proc.kill("SIGTERM");
      }
      expect(await proc.exited).toBe(0);
      expect(proc.logs().some((l) => l["msg"] === "stopped")).toBe(true);
    });
  }

  test("sigint_also_stops_cleanly", async () => {
    const port = await freePort();
    const proc = spawnTasker(["--role", "worker", "--port", String(port), "--migrate"], {
      env: { DATABASE_URL: db.url, TASKER_TELEMETRY__LOG_FORMAT: "json", TASKER_TELEMETRY__LOG_LEVEL: "info" },
    });
    await proc.waitForLog((l) => l["msg"] === "ready");
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(0);
  });
});
