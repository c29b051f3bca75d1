import type { ConfigIssue } from "../lib/errors.ts";
import { parseToml } from "../runtime/index.ts";
import type { ConfigAssignment, ConfigLayer } from "./configAssignment.ts";
import { CONFIG_KEYS } from "./configKeys.ts";
import { maskConfigValue } from "./maskSecrets.ts";
import { unknownKeyMessage } from "./unknownKeyMessage.ts";

const PREFIX = "TASKER_";
const LEVEL_SEPARATOR = "__";

/** Conventional variables that set a key; the generic `TASKER_…` variable is applied after them and wins. */
export const ENV_ALIASES: Readonly<Record<string, string>> = Object.freeze({ DATABASE_URL: "database.url" });

/** `database.pool.max_connections` → `TASKER_DATABASE__POOL__MAX_CONNECTIONS`. */
export function envVarName(key: string): string {
  return PREFIX + key.split(".").map((part) => part.toUpperCase()).join(LEVEL_SEPARATOR);
}

function envVarKey(name: string): string {
  return name.slice(PREFIX.length).split(LEVEL_SEPARATOR).map((part) => part.toLowerCase()).join(".");
}

const defaults = new Map(CONFIG_KEYS.map((k) => [k.key, k.default]));

/**
 * The text of a variable as a TOML value when it is one (`5`, `true`, `["a", "b"]`), else the
 * text itself. Keys whose default is a string always take the text, so `TASKER_WORKER__HANDLERS_DIR=2024`
 * means the folder "2024". The schema validates the result either way.
 */
function parseEnvValue(key: string, raw: string): unknown {
  let parsed: unknown = raw;
  try {
    const table = parseToml(`value = ${raw}`);
    if (Object.keys(table).length === 1 && "value" in table) parsed = table.value;
  } catch {
    // Not a TOML value: the plain text is the value.
  }
  return typeof defaults.get(key) === "string" && typeof parsed !== "string" ? raw : parsed;
}

/**
 * Config values from environment variables: the aliases (DATABASE_URL), then every
 * `TASKER_<SECTION>__<KEY>[__<SUBKEY>]`. Variables without `__` (TASKER_ENV,
 * TASKER_CONFIG_ROOT) are not config keys; an unknown path is an issue naming the variable.
 */
export function readEnvOverrides(env: Readonly<Record<string, string | undefined>>): ConfigLayer {
  const assignments: ConfigAssignment[] = [];
  const issues: ConfigIssue[] = [];
  for (const [name, key] of Object.entries(ENV_ALIASES)) {
    const raw = env[name];
    if (raw !== undefined) assignments.push({ key, value: raw, source: `env ${name}` });
  }
  const names = Object.keys(env)
    .filter((name) => name.startsWith(PREFIX) && name.includes(LEVEL_SEPARATOR))
    .sort();
  for (const name of names) {
    const raw = env[name];
    if (raw === undefined) continue;
    const key = envVarKey(name);
    const source = `env ${name}`;
    const problem = unknownKeyMessage(key, envVarName);
    if (problem === undefined) {
      assignments.push({ key, value: parseEnvValue(key, raw), source });
    } else {
      issues.push({ key, value: maskConfigValue(key, raw), source, message: problem });
    }
  }
  return { assignments, issues };
}
