import { hostname } from "node:os";
import type { Sql } from "postgres";
import { toError } from "../lib/errors.ts";
import type { Logger } from "../telemetry/logger.ts";
import { VERSION } from "../version.ts";

export interface ProcessHeartbeat {
  /** Registers now and then every interval until stopped. */
  start(): Promise<void>;
  setNamespaces(namespaces: string[]): void;
  /** Marks the process stopped, so its leases are released at once. */
  stop(): Promise<void>;
}

/**
 * Keeps this process's row in tasker.processes fresh. Step leases of a worker and
 * task ownership of an orchestrator are judged dead when the heartbeat is older
 * than the configured threshold.
 */
export function createProcessHeartbeat(options: {
  sql: Sql;
  processId: string;
  role: string;
  intervalMs: number;
  logger: Logger;
}): ProcessHeartbeat {
  const { sql, processId, role, logger } = options;
  let namespaces: string[] = [];
  let timer: ReturnType<typeof setInterval> | undefined;
  const beat = async (): Promise<void> => {
    await sql`SELECT tasker.heartbeat_process(${processId}::uuid, ${role}, ${namespaces}::text[],
                                               ${hostname()}, ${process.pid}::int, ${VERSION})`;
  };
  return {
    async start() {
      await beat();
      timer = setInterval(() => {
        beat().catch((error: unknown) => logger.warn("heartbeat failed", { error: toError(error).message }));
      }, options.intervalMs);
    },
    setNamespaces(next) {
      namespaces = [...next];
    },
    async stop() {
      if (timer) clearInterval(timer);
      await sql`SELECT tasker.stop_process(${processId}::uuid)`.catch((error: unknown) =>
        logger.warn("could not mark the process stopped", { error: toError(error).message }),
      );
    },
  };
}
