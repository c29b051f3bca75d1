/**
 * Structured logging. JSON lines in production (one object per line on stderr),
 * a readable single line on a terminal. Every line in task or step context carries
 * `correlation_id` (and `task_uuid`, `step_uuid`, `namespace` when known) through
 * `logger.child({...})`.
 */
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal";
export type LogFormat = "json" | "pretty";
export type LogFields = Record<string, unknown>;

export const LOG_LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warn", "error", "fatal"];

export interface Logger {
  trace(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  fatal(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
  isLevelEnabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where lines go; stderr by default. Tests pass a collector. */
  write?: (line: string) => void;
  base?: LogFields;
}

const rank = (level: LogLevel): number => LOG_LEVELS.indexOf(level);

function serializeError(error: Error): LogFields {
  const out: LogFields = { type: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) out["code"] = code;
  if (error.stack) out["stack"] = error.stack;
  if (error.cause instanceof Error) out["cause"] = serializeError(error.cause);
  return out;
}

/** Drops undefined fields and turns Error values into plain objects (type, message, code, stack, cause). */
export function normalizeLogFields(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    out[key] = value instanceof Error ? serializeError(value) : value;
  }
  return out;
}

/** Fields every line of a process carries; noise on a terminal, kept in JSON. */
const PRETTY_OMITTED = new Set(["service", "role", "process_id", "component"]);

function formatPretty(time: string, level: LogLevel, message: string, fields: LogFields): string {
  const rest = Object.entries(fields)
    .filter(([k]) => !PRETTY_OMITTED.has(k))
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  return `${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${message}${rest ? `  ${rest}` : ""}`;
}

/**
 * A Logger over a sink: `emit` gets each enabled line with its bound and own fields merged and
 * normalized. createLogger writes lines; a handler thread posts them to its worker.
 */
export function loggerOver(
  emit: (level: LogLevel, message: string, fields: LogFields) => void,
  isLevelEnabled: (level: LogLevel) => boolean,
  bound: LogFields = {},
): Logger {
  const log = (level: LogLevel, message: string, fields?: LogFields): void => {
    if (isLevelEnabled(level)) emit(level, message, normalizeLogFields({ ...bound, ...fields }));
  };
  return {
    trace: (m, f) => log("trace", m, f),
    debug: (m, f) => log("debug", m, f),
    info: (m, f) => log("info", m, f),
    warn: (m, f) => log("warn", m, f),
    error: (m, f) => log("error", m, f),
    fatal: (m, f) => log("fatal", m, f),
    child: (fields) => loggerOver(emit, isLevelEnabled, { ...bound, ...normalizeLogFields(fields) }),
    isLevelEnabled,
  };
}

export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const threshold = rank(options.level);
  const emit = (level: LogLevel, message: string, fields: LogFields): void => {
    const time = new Date().toISOString();
    write(options.format === "json" ? safeStringify({ time, level, msg: message, ...fields }) : formatPretty(time, level, message, fields));
  };
  return loggerOver(emit, (level) => rank(level) >= threshold, options.base ?? {});
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  } catch {
    return JSON.stringify({ msg: "unserializable log line" });
  }
}

/** A logger that drops everything; for tests and library callers that opt out. */
export const silentLogger: Logger = createLogger({ level: "fatal", format: "json", write: () => {} });
