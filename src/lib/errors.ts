/**
 * One error base for the whole product. Every error has a stable string `code`
 * (never an integer) and an optional `cause`; HTTP status and exit codes are
 * derived from the code in one place each (http/, cli/), never here.
 */
export class TaskerError extends Error {
  readonly code: string;
  /** Structured details safe to show to a user (never secrets). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: string,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
    // Set once here for every subclass.
    this.name = new.target.name;
  }
}

/** Bad user input: a flag, a config value, a request field, a name. */
export class ValidationError extends TaskerError {
  readonly field: string | undefined;
  constructor(message: string, options: { field?: string; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super("VALIDATION_FAILED", message, options);
    this.field = options.field;
  }
}

export interface ConfigIssue {
  /** Dotted key, e.g. `database.pool.max_connections`. */
  key: string;
  /** The offending value, already masked when the key is secret. */
  value: unknown;
  /** Where the value came from: `default`, a file path, `env DATABASE_URL`, `flag --port`. */
  source: string;
  message: string;
}

export class ConfigError extends TaskerError {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    const lines = issues.map((i) => `  ${i.key} = ${JSON.stringify(i.value)} (from ${i.source}): ${i.message}`);
    super("CONFIG_INVALID", `invalid configuration:\n${lines.join("\n")}`);
    this.issues = issues;
  }
}

export class MigrationError extends TaskerError {
  constructor(code: "MIGRATION_FAILED" | "DATABASE_NEWER_THAN_BINARY", message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}

export class DatabaseUnavailableError extends TaskerError {
  constructor(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super("DATABASE_UNAVAILABLE", message, options);
  }
}

/** Turns anything thrown into an Error, so boundaries handle one type. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === "string") return new Error(thrown);
  try {
    return new Error(`non-error thrown: ${JSON.stringify(thrown)}`);
  } catch {
    return new Error(`non-error thrown: ${String(thrown)}`);
  }
}
