import type { ResolvedConfig } from "../config/index.ts";
import { embeddedStatus, resetEmbeddedServer, stopEmbeddedServer } from "../db/embedded/embeddedServer.ts";
import { embeddedSettings } from "../db/embedded/resolveDatabase.ts";
import type { DbAction } from "./parseCommandLine.ts";
import { UsageError } from "./usageError.ts";


/**
 * `tasker db status|stop|reset`: the embedded PostgreSQL (database.embedded.*). `reset` deletes
 * the data directory and needs `--yes`.
 */
export async function dbCommand(action: DbAction, yes: boolean, resolved: ResolvedConfig, cwd: string, out: (line: string) => void): Promise<number> {
  const settings = embeddedSettings(resolved, cwd);
  switch (action) {
    case "status": {
      const status = await embeddedStatus(settings);
      if (!status.initialized) {
        out(`embedded PostgreSQL: not created (no data in ${status.dataDir}); a role creates it when database.mode is embedded, or auto with no server at ${new URL(resolved.config.database.url).host}`);
        return 0;
      }
      out(`embedded PostgreSQL ${status.version}: ${status.running ? `running on 127.0.0.1:${status.port}` : `stopped${status.port ? ` (port ${status.port})` : ""}`}`);
      out(`data: ${status.dataDir}`);
      if (status.running && status.port) out(`url: postgres://postgres@127.0.0.1:${status.port}/tasker`);
      return 0;
    }
    case "stop":
      out((await stopEmbeddedServer(settings)) ? "embedded PostgreSQL stopped" : "embedded PostgreSQL was not running");
      return 0;
    case "reset":
      if (!yes) throw new UsageError(`tasker db reset deletes ${settings.dataDir} with every task in it; run it again with --yes`);
      await resetEmbeddedServer(settings);
      out(`embedded PostgreSQL stopped and ${settings.dataDir} deleted`);
      return 0;
  }
}
