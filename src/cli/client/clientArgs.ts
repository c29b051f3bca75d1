import { parseArgs } from "node:util";
import { isUuid } from "../../lib/ids.ts";
import { UsageError } from "../usageError.ts";

export type FlagSpec = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>["options"]>;
export type FlagValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

/** Flags every API command takes. */
export interface ClientGlobals {
  /** --url; TASKER_URL and the default are applied when the command runs. */
  url: string | undefined;
  json: boolean;
}

const API_FLAGS: FlagSpec = {
  url: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

export interface ParsedClientArgs {
  help: boolean;
  globals: ClientGlobals;
  values: FlagValues;
  positionals: string[];
}

/**
 * Parses one client command's arguments with its own flags plus --url, --json
 * and --help (`api: false` leaves out --url, for commands that do not call the API).
 */
export function parseClientArgs(args: string[], flags: FlagSpec, options: { api?: boolean } = {}): ParsedClientArgs {
  const spec: FlagSpec = { ...(options.api === false ? { json: API_FLAGS["json"]!, help: API_FLAGS["help"]! } : API_FLAGS), ...flags };
  let parsed: { values: FlagValues; positionals: string[] };
  try {
    parsed = parseArgs({ args, options: spec, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  return {
    help: values["help"] === true,
    globals: { url: stringFlag(values, "url"), json: values["json"] === true },
    values,
    positionals,
  };
}

/** Exactly these positional arguments, e.g. `["task_uuid"]`, or a usage error naming them. */
export function expectPositionals(command: string, positionals: string[], names: readonly string[]): string[] {
  if (positionals.length < names.length) {
    throw new UsageError(`${command} needs ${names.map((n) => `<${n}>`).join(" ")}`);
  }
  const extra: string | undefined = positionals[names.length];
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}" after ${command}`);
  return positionals;
}

export function uuidArgument(name: string, value: string): string {
  if (!isUuid(value)) throw new UsageError(`<${name}> must be a UUID; got ${JSON.stringify(value)}`);
  return value;
}

export function stringFlag(values: FlagValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

export function requiredFlag(values: FlagValues, name: string, command: string): string {
  const value = stringFlag(values, name);
  if (value === undefined || value === "") throw new UsageError(`${command} needs --${name}`);
  return value;
}

export function listFlag(values: FlagValues, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

export function integerFlag(values: FlagValues, name: string, range: { min: number; max?: number }): number | undefined {
  const text = stringFlag(values, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || value < range.min || (range.max !== undefined && value > range.max)) {
    const bound = range.max === undefined ? `at least ${range.min}` : `from ${range.min} to ${range.max}`;
    throw new UsageError(`--${name} must be an integer ${bound}; got "${text}"`);
  }
  return value;
}

/** A flag's text as JSON, or a usage error naming the flag. */
export function parseJsonText(what: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${what} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
