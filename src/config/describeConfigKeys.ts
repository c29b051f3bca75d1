import { CONFIG_KEYS } from "./configKeys.ts";
import { ENV_ALIASES, envVarName } from "./envOverrides.ts";

export interface ConfigKeyDescription {
  /** Dotted key, e.g. `web.port`. */
  key: string;
  default: unknown;
  description: string;
  /** Environment variables that set the key, the winning one first (e.g. TASKER_DATABASE__URL, DATABASE_URL). */
  env: string[];
}

/** Every key with its code default and one-line description, for help text and docs. */
export function describeConfigKeys(): ConfigKeyDescription[] {
  return CONFIG_KEYS.map((k) => ({
    key: k.key,
    default: k.default,
    description: k.description,
    env: [
      envVarName(k.key),
      ...Object.entries(ENV_ALIASES)
        .filter(([, key]) => key === k.key)
        .map(([name]) => name),
    ],
  }));
}
