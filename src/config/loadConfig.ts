import { join } from "node:path";
import { ConfigError, type ConfigIssue } from "../lib/errors.ts";
import type { ConfigAssignment, ConfigLayer } from "./configAssignment.ts";
import { CONFIG_DEFAULTS } from "./configDefaults.ts";
import { readConfigEnvironment, type ConfigEnvironment } from "./configEnvironment.ts";
import { CONFIG_KEYS } from "./configKeys.ts";
import type { TaskerConfig } from "./configSchema.ts";
import { deepFreeze } from "./deepFreeze.ts";
import { readEnvOverrides } from "./envOverrides.ts";
import { readOtelEnvOverrides } from "./otelEnvOverrides.ts";
import { maskConfigValue } from "./maskSecrets.ts";
import { readConfigDirectory } from "./readConfigDirectory.ts";
import { resolveConfigRoot } from "./resolveConfigRoot.ts";
import { unknownKeyMessage } from "./unknownKeyMessage.ts";
import { validateConfig } from "./validateConfig.ts";

/** A command-line flag already mapped to a config key by the CLI. */
export interface ConfigFlag {
  /** Dotted key, e.g. `web.port`. */
  key: string;
  value: unknown;
  /** e.g. `flag --port`. */
  source: string;
}

export interface ConfigInputs {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  flags?: ReadonlyArray<ConfigFlag>;
}

export interface ResolvedConfig {
  config: TaskerConfig;
  environment: ConfigEnvironment;
  /** Where each leaf key's value came from: `default`, a file path, `env NAME` or `flag --x`. */
  sources: Readonly<Record<string, string>>;
  /** The TOML files read, in load order. */
  files: readonly string[];
}

function readFlags(flags: ReadonlyArray<ConfigFlag>): ConfigLayer {
  const layer: ConfigLayer = { assignments: [], issues: [] };
  for (const flag of flags) {
    const problem = unknownKeyMessage(flag.key);
    if (problem === undefined) layer.assignments.push({ key: flag.key, value: flag.value, source: flag.source });
    else layer.issues.push({ key: flag.key, value: maskConfigValue(flag.key, flag.value), source: flag.source, message: problem });
  }
  return layer;
}

function apply(target: Record<string, unknown>, sources: Record<string, string>, assignment: ConfigAssignment): void {
  const path = assignment.key.split(".");
  const leaf = path.pop() ?? assignment.key;
  let node = target;
  for (const part of path) node = node[part] as Record<string, unknown>;
  node[leaf] = assignment.value;
  sources[assignment.key] = assignment.source;
}

/**
 * The one loader: code defaults, then `<root>/tasker/base/*.toml`, then
 * `<root>/tasker/environments/<TASKER_ENV>/*.toml`, then the standard OTEL_* variables, then
 * `TASKER_…` variables, then flags.
 * Returns a deep-frozen, fully resolved config; throws one ConfigError listing every issue.
 */
export async function loadConfig(inputs: ConfigInputs): Promise<ResolvedConfig> {
  const issues: ConfigIssue[] = [];
  const { environment, issue: environmentIssue } = readConfigEnvironment(inputs.env);
  if (environmentIssue !== undefined) issues.push(environmentIssue);
  const { root, issues: rootIssues } = await resolveConfigRoot(inputs.env, inputs.cwd);
  issues.push(...rootIssues);

  const layers: ConfigLayer[] = [];
  const files: string[] = [];
  if (root !== undefined) {
    const directories = [join(root, "tasker", "base")];
    if (environmentIssue === undefined) directories.push(join(root, "tasker", "environments", environment));
    for (const dir of directories) {
      const layer = await readConfigDirectory(dir);
      files.push(...layer.files);
      layers.push(layer);
    }
  }
  layers.push(readOtelEnvOverrides(inputs.env), readEnvOverrides(inputs.env), readFlags(inputs.flags ?? []));

  const merged = structuredClone(CONFIG_DEFAULTS) as unknown as Record<string, unknown>;
  const sources: Record<string, string> = Object.fromEntries(CONFIG_KEYS.map((k) => [k.key, "default"]));
  for (const layer of layers) {
    issues.push(...layer.issues);
    for (const assignment of layer.assignments) apply(merged, sources, assignment);
  }

  const validated = validateConfig(merged, sources);
  issues.push(...validated.issues);
  if (validated.config === undefined || issues.length > 0) throw new ConfigError(issues);
  return deepFreeze({ config: deepFreeze(validated.config), environment, sources, files });
}
