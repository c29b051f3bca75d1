import { join, resolve } from "node:path";
import type { ConfigIssue } from "../lib/errors.ts";
import { isDirectory } from "../runtime/index.ts";

export interface ConfigRoot {
  /** The directory holding `tasker/base` and `tasker/environments`; undefined when there are no files. */
  root: string | undefined;
  issues: ConfigIssue[];
}

/**
 * `TASKER_CONFIG_ROOT` (relative to cwd) when set, which must be a directory with a `tasker/`
 * folder; else `<cwd>/config` when it exists; else no files, so the binary runs from any directory.
 */
export async function resolveConfigRoot(env: Readonly<Record<string, string | undefined>>, cwd: string): Promise<ConfigRoot> {
  const explicit = env.TASKER_CONFIG_ROOT;
  if (explicit === undefined) {
    const conventional = join(cwd, "config");
    return { root: (await isDirectory(conventional)) ? conventional : undefined, issues: [] };
  }
  const issue = (message: string): ConfigRoot => ({
    root: undefined,
    issues: [{ key: "config_root", value: explicit, source: "env TASKER_CONFIG_ROOT", message }],
  });
  if (explicit === "") return issue("must not be empty; unset it to use ./config");
  const root = resolve(cwd, explicit);
  if (!(await isDirectory(root))) return issue(`directory ${root} does not exist`);
  if (!(await isDirectory(join(root, "tasker")))) {
    return issue(`${root} has no tasker/ folder (expected ${join(root, "tasker", "base")}/*.toml)`);
  }
  return { root, issues: [] };
}
