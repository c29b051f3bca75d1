import { connect } from "node:net";
import { resolve } from "node:path";
import { CONFIG_DEFAULTS } from "../../config/configDefaults.ts";
import type { ResolvedConfig } from "../../config/index.ts";
import { deepFreeze } from "../../config/deepFreeze.ts";
import { TaskerError } from "../../lib/errors.ts";
import type { Logger } from "../../telemetry/logger.ts";
import { ensureDatabase } from "../ensureDatabase.ts";
import { ensureEmbeddedServer, type EmbeddedSettings } from "./embeddedServer.ts";
import { findEmbeddedBinaries } from "./serverBinaries.ts";

/** Whether something accepts TCP connections at the URL's host and port (within a second). */
export function acceptsConnections(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((done) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ""), port: Number(port || 5432) });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.once("connect", () => finish(true));
    socket.once("error", () => finish(false));
  });
}

/**
 * `embedded`: yes; `url`: no; `auto`: yes when no URL was asked for (a variable or flag, or a file
 * naming another server than the default; the repository's base file only restates it) and
 * nothing answers at the default one.
 */
export async function wantsEmbedded(resolved: ResolvedConfig, probe: (url: string) => Promise<boolean> = acceptsConnections): Promise<boolean> {
  const { mode, url } = resolved.config.database;
  if (mode !== "auto") return mode === "embedded";
  const source = resolved.sources["database.url"] ?? "default";
  const asked = url !== CONFIG_DEFAULTS.database.url || source.startsWith("env ") || source.startsWith("flag ");
  return !asked && !(await probe(url));
}

/** The embedded server's settings from the config (paths relative to `cwd`). */
export function embeddedSettings(resolved: ResolvedConfig, cwd: string): EmbeddedSettings {
  const { embedded } = resolved.config.database;
  return { binDir: findEmbeddedBinaries(embedded.bin_dir, cwd), dataDir: resolve(cwd, embedded.data_dir), port: embedded.port };
}

/**
 * Which PostgreSQL this process uses (`database.mode`): `url` is `database.url`; `embedded`
 * starts (or reuses) the embedded server and points `database.url` at it; `auto` is `url` when a
 * URL was configured anywhere or the default one answers, else `embedded`. The embedded choice is
 * logged in one line naming the database and how to use a real server instead.
 */
export async function resolveDatabase(resolved: ResolvedConfig, logger: Logger, cwd: string): Promise<ResolvedConfig> {
  const { mode, url } = resolved.config.database;
  if (!(await wantsEmbedded(resolved))) return resolved;
  const database = decodeURIComponent(new URL(url).pathname.replace(/^\//, "")) || "tasker";
  const server = await ensureEmbeddedServer(embeddedSettings(resolved, cwd), database);
  if (!(await acceptsConnections(server.url))) {
    throw new TaskerError(
      "EMBEDDED_POSTGRES_FAILED",
      `the embedded PostgreSQL of ${server.dataDir} is running but does not answer on 127.0.0.1:${server.port} (another network namespace or container?); stop it with \`tasker db stop\` and start again`,
    );
  }
  await ensureDatabase(server.url, logger);
  logger.info(`using the embedded PostgreSQL ${server.version} at ${server.url} (data in ${server.dataDir}); to use your own server, set DATABASE_URL or database.mode = "url"`, {
    database_url: server.url,
    data_dir: server.dataDir,
    embedded_started: server.started,
    embedded_initialized: server.initialized,
    reason: mode === "embedded" ? "database.mode is embedded" : `no database URL configured and nothing answers at ${new URL(url).host}`,
  });
  return deepFreeze({
    ...resolved,
    config: { ...resolved.config, database: { ...resolved.config.database, url: server.url } },
    sources: { ...resolved.sources, "database.url": "embedded server" },
  });
}
