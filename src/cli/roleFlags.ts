import type { RoleOptions } from "./parseCommandLine.ts";

export interface FlagOverride {
  key: string;
  value: unknown;
  source: string;
}

/** The role's command-line flags as config overrides (flags beat files and env). */
export function roleFlags(options: RoleOptions): FlagOverride[] {
  const flags: FlagOverride[] = [];
  if (options.namespaces.length > 0) {
    flags.push({ key: "worker.namespaces", value: options.namespaces, source: "flag --namespace" });
  }
  if (options.handlersDir !== undefined) {
    flags.push({ key: "worker.handlers_dir", value: options.handlersDir, source: "flag --handlers" });
  }
  if (options.port !== undefined) {
    const key = options.role === "worker" ? "web.worker_port" : "web.port";
    flags.push({ key, value: options.port, source: "flag --port" });
  }
  if (options.mode !== undefined) flags.push({ key: "queues.mode", value: options.mode, source: "flag --mode" });
  if (options.databaseMode !== undefined) flags.push({ key: "database.mode", value: options.databaseMode, source: "flag --database-mode" });
  if (options.migrate) flags.push({ key: "database.migrate_on_start", value: true, source: "flag --migrate" });
  return flags;
}
