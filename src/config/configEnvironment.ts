import type { ConfigIssue } from "../lib/errors.ts";

export const CONFIG_ENVIRONMENTS = ["test", "development", "production"] as const;
export type ConfigEnvironment = (typeof CONFIG_ENVIRONMENTS)[number];
export const DEFAULT_ENVIRONMENT: ConfigEnvironment = "development";

function isEnvironment(value: string): value is ConfigEnvironment {
  return (CONFIG_ENVIRONMENTS as readonly string[]).includes(value);
}

/** `TASKER_ENV`, default `development`; anything else (an empty string too) is an issue. */
export function readConfigEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): { environment: ConfigEnvironment; issue: ConfigIssue | undefined } {
  const raw = env.TASKER_ENV;
  if (raw === undefined) return { environment: DEFAULT_ENVIRONMENT, issue: undefined };
  if (isEnvironment(raw)) return { environment: raw, issue: undefined };
  return {
    environment: DEFAULT_ENVIRONMENT,
    issue: {
      key: "environment",
      value: raw,
      source: "env TASKER_ENV",
      message: `TASKER_ENV must be one of ${CONFIG_ENVIRONMENTS.join(", ")}`,
    },
  };
}
