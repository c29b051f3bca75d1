import { resolve } from "node:path";
import { loadConfig, type ResolvedConfig } from "../config/index.ts";
import { ConfigError, TaskerError, toError } from "../lib/errors.ts";
import { createLoggerFromConfig } from "../telemetry/createLoggerFromConfig.ts";
import { VERSION } from "../version.ts";
import { runClientCommand } from "./client/runClientCommand.ts";
import { resolveDatabase } from "../db/embedded/resolveDatabase.ts";
import { configCheckCommand } from "./configCheckCommand.ts";
import { dbCommand } from "./dbCommand.ts";
import { migrateCommand } from "./migrateCommand.ts";
import { parseCommandLine, type Command } from "./parseCommandLine.ts";
import { roleFlags, type FlagOverride } from "./roleFlags.ts";
import { startRole } from "./runRole.ts";
import { typesCommand } from "./typesCommand.ts";
import { USAGE } from "./usage.ts";
import { UsageError } from "./usageError.ts";

export interface CliIo {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const line = (write: (text: string) => void) => (text: string) => write(`${text}\n`);

/** argv to exit code. Usage errors are 2, everything else that fails is 1. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let command: Command;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`tasker: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }

  if (command.kind === "help") {
    io.stdout(USAGE);
    return 0;
  }
  if (command.kind === "version") {
    io.stdout(`tasker ${VERSION}\n`);
    return 0;
  }
  // Client commands only talk HTTP: no config, no database.
  if (command.kind === "client") return runClientCommand(command.command, io);
  if (command.kind === "types") return typesCommand(resolve(io.cwd, command.handlersDir ?? "handlers"), line(io.stdout));

  const flags: FlagOverride[] = command.kind === "role" ? roleFlags(command.options) : [];
  let resolved: ResolvedConfig;
  try {
    resolved = await loadConfig({ env: io.env, cwd: io.cwd, flags });
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`tasker: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const logger = createLoggerFromConfig(resolved.config.telemetry, { service: "tasker" });

  try {
    switch (command.kind) {
      case "config-check":
        return configCheckCommand(resolved, io.stdout);
      case "db":
        return await dbCommand(command.action, command.yes, resolved, io.cwd, line(io.stdout));
      case "migrate":
        return await migrateCommand(await resolveDatabase(resolved, logger, io.cwd), logger, line(io.stdout));
      case "role":
        return await startRole(command.options.role, await resolveDatabase(resolved, logger, io.cwd), logger).done;
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`tasker: ${error.message}\n`);
      return 2;
    }
    const err = toError(error);
    io.stderr(`tasker: ${err instanceof TaskerError ? `${err.code}: ` : ""}${err.message}\n`);
    return 1;
  }
}
