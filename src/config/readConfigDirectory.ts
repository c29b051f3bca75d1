import { join } from "node:path";
import type { ConfigIssue } from "../lib/errors.ts";
import { isDirectory, listDirectory, parseToml, readTextFile } from "../runtime/index.ts";
import type { ConfigLayer } from "./configAssignment.ts";
import { flattenConfigTable } from "./flattenConfigTable.ts";
import { maskConfigValue } from "./maskSecrets.ts";

/** Issues about a whole file (unreadable, not TOML) carry this in place of a key. */
export const FILE_ISSUE_KEY = "(file)";

export interface ConfigDirectoryLayer extends ConfigLayer {
  /** The TOML files read, in name order. */
  files: string[];
}

function describeParseError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // Parser messages can quote file content; never echo it (it may be a secret).
  return text.replace(/"[^"]*"/g, '"…"');
}

async function readTable(path: string, issues: ConfigIssue[]): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readTextFile(path);
  } catch (error) {
    issues.push({ key: FILE_ISSUE_KEY, value: null, source: path, message: `cannot read file: ${describeParseError(error)}` });
    return undefined;
  }
  try {
    return parseToml(text);
  } catch (error) {
    issues.push({ key: FILE_ISSUE_KEY, value: null, source: path, message: `not valid TOML: ${describeParseError(error)}` });
    return undefined;
  }
}

/**
 * Every `*.toml` file of one layer directory (base, or one environment), merged. A missing
 * directory is an empty layer. Setting one key in two files of the same layer is an issue:
 * which one wins would depend on file names.
 */
export async function readConfigDirectory(dir: string): Promise<ConfigDirectoryLayer> {
  const layer: ConfigDirectoryLayer = { assignments: [], issues: [], files: [] };
  if (!(await isDirectory(dir))) return layer;
  const entries = await listDirectory(dir);
  const setBy = new Map<string, string>();
  for (const entry of entries) {
    if (!entry.name.endsWith(".toml") || (entry.kind !== "file" && entry.kind !== "symlink")) continue;
    const path = join(dir, entry.name);
    layer.files.push(path);
    const table = await readTable(path, layer.issues);
    if (table === undefined) continue;
    const flat = flattenConfigTable(table, path);
    layer.issues.push(...flat.issues);
    for (const assignment of flat.assignments) {
      const earlier = setBy.get(assignment.key);
      if (earlier !== undefined) {
        layer.issues.push({
          key: assignment.key,
          value: maskConfigValue(assignment.key, assignment.value),
          source: path,
          message: `also set in ${earlier}; set each key in one file per directory`,
        });
        continue;
      }
      setBy.set(assignment.key, path);
      layer.assignments.push(assignment);
    }
  }
  return layer;
}
