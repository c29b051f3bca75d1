import { createLogger, type LogFields, type Logger, type LogLevel } from "./logger.ts";

export interface LoggingConfig {
  log_level: LogLevel;
  log_format: "auto" | "json" | "pretty";
}

/** `auto` is readable on a terminal and JSON lines everywhere else. */
export function createLoggerFromConfig(config: LoggingConfig, base: LogFields = {}): Logger {
  const format = config.log_format === "auto" ? (process.stderr.isTTY ? "pretty" : "json") : config.log_format;
  return createLogger({ level: config.log_level, format, base });
}
