/**
 * The embedded PostgreSQL's start, driven directly (the binary's path is test/e2e/embeddedDatabase.test.ts):
 * processes starting together share one server, and a lock left by a dead process is taken over.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { ensureEmbeddedServer, stopEmbeddedServer } from "../../src/db/embedded/embeddedServer.ts";
import { findEmbeddedBinaries } from "../../src/db/embedded/serverBinaries.ts";
import { freePort } from "../support/ports.ts";
import { afterAll, describe, expect, test } from "../support/test.ts";

const dir = mkdtempSync(join(tmpdir(), "tasker-embedded-"));
chmodSync(dir, 0o755); // as root the server runs as postgres, which must reach the data directory
let settings: { binDir: string; dataDir: string; port: number } | undefined;

afterAll(async () => {
  if (settings) await stopEmbeddedServer(settings).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

describe("the embedded server's start", () => {
  test("two starts at once share one server, initialized once; a dead process's lock is taken over", async () => {
    settings = { binDir: findEmbeddedBinaries(""), dataDir: join(dir, "pgdata"), port: await freePort() };
    // A lock left by a process that no longer exists.
    writeFileSync(`${settings.dataDir}.lock`, "999999999");
    const [a, b] = await Promise.all([ensureEmbeddedServer(settings, "postgres"), ensureEmbeddedServer(settings, "postgres")]);
    expect(a.url).toBe(b.url);
    expect([a.initialized, b.initialized].filter(Boolean)).toHaveLength(1);
    expect([a.started, b.started].filter(Boolean)).toHaveLength(1);
    expect(existsSync(`${settings.dataDir}.lock`)).toBe(false);
    const sql = postgres(a.url, { max: 1, onnotice: () => {} });
    try {
      expect((await sql<{ one: number }[]>`SELECT 1 AS one`)[0]!.one).toBe(1);
    } finally {
      await sql.end();
    }
  });
});
