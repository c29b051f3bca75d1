import { parseArgs } from "node:util";
import { DATABASE_MODES, type DatabaseMode } from "../config/configSchema.ts";
import { isClientGroup, parseClientCommand, type ClientCommand } from "./client/clientCommand.ts";
import { UsageError } from "./usageError.ts";

export type Role = "orchestration" | "worker" | "combined";
export type QueueMode = "hybrid" | "event" | "polling";
export const ROLES: readonly Role[] = ["orchestration", "worker", "combined"];
export const MODES: readonly QueueMode[] = ["hybrid", "event", "polling"];
export type DbAction = "status" | "stop" | "reset";
export const DB_ACTIONS: readonly DbAction[] = ["status", "stop", "reset"];

export interface RoleOptions {
  role: Role;
  namespaces: string[];
  handlersDir: string | undefined;
  port: number | undefined;
  mode: QueueMode | undefined;
  migrate: boolean;
  databaseMode: DatabaseMode | undefined;
}

export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "migrate" }
  | { kind: "types"; handlersDir: string | undefined }
  | { kind: "db"; action: DbAction; yes: boolean }
  | { kind: "config-check"; role: Role | undefined }
  | { kind: "role"; options: RoleOptions }
  | { kind: "client"; command: ClientCommand };

const ROLE_FLAGS = {
  role: { type: "string" },
  namespace: { type: "string", multiple: true },
  handlers: { type: "string" },
  port: { type: "string" },
  mode: { type: "string" },
  migrate: { type: "boolean" },
  "database-mode": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

type FlagSpec = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>["options"]>;

function parse(args: string[], options: FlagSpec) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${flag} must be one of ${allowed.join(", ")}; got "${value}"`);
}

function parsePort(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) {
    throw new UsageError(`--port must be an integer from 0 to 65535; got "${value}"`);
  }
  return Number(value);
}

/** argv (without the executable) to a command. Throws UsageError (exit code 2). */
export function parseCommandLine(argv: string[]): Command {
  const [first, second] = argv;
  if (isClientGroup(first)) return parseClientCommand(first, argv.slice(1));
  if (first === "migrate") {
    const { positionals, values } = parse(argv.slice(1), { help: { type: "boolean", short: "h" } });
    if (values["help"]) return { kind: "help" };
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" after migrate`);
    return { kind: "migrate" };
  }
  if (first === "db") {
    const { positionals, values } = parse(argv.slice(1), { yes: { type: "boolean" }, help: { type: "boolean", short: "h" } });
    if (values["help"]) return { kind: "help" };
    const [action, extra] = positionals;
    if (action === undefined) throw new UsageError(`tasker db needs a command: ${DB_ACTIONS.join(", ")}`);
    if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
    return { kind: "db", action: oneOf("tasker db", action, DB_ACTIONS), yes: values["yes"] === true };
  }
  if (first === "types") {
    const { positionals, values } = parse(argv.slice(1), { handlers: { type: "string" }, help: { type: "boolean", short: "h" } });
    if (values["help"]) return { kind: "help" };
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" after types`);
    return { kind: "types", handlersDir: typeof values["handlers"] === "string" ? values["handlers"] : undefined };
  }
  if (first === "config") {
    if (second !== "check") throw new UsageError(`unknown config command "${second ?? ""}"; try "tasker config check"`);
    const { positionals, values } = parse(argv.slice(2), { role: { type: "string" }, help: { type: "boolean", short: "h" } });
    if (values["help"]) return { kind: "help" };
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const role = typeof values["role"] === "string" ? oneOf("--role", values["role"], ROLES) : undefined;
    return { kind: "config-check", role };
  }

  const { values, positionals } = parse(argv, ROLE_FLAGS);
  if (values["help"]) return { kind: "help" };
  if (values["version"]) return { kind: "version" };
  if (positionals.length > 0) throw new UsageError(`unknown command "${positionals[0]}"`);
  const role = values["role"];
  if (typeof role !== "string") {
    throw new UsageError(argv.length === 0 ? "no command given" : "--role is required to start a process");
  }
  const port = values["port"];
  const mode = values["mode"];
  const handlers = values["handlers"];
  const namespaces = values["namespace"];
  return {
    kind: "role",
    options: {
      role: oneOf("--role", role, ROLES),
      namespaces: Array.isArray(namespaces) ? namespaces.filter((n): n is string => typeof n === "string") : [],
      handlersDir: typeof handlers === "string" ? handlers : undefined,
      port: typeof port === "string" ? parsePort(port) : undefined,
      mode: typeof mode === "string" ? oneOf("--mode", mode, MODES) : undefined,
      migrate: values["migrate"] === true,
      databaseMode: typeof values["database-mode"] === "string" ? oneOf("--database-mode", values["database-mode"], DATABASE_MODES) : undefined,
    },
  };
}
