import * as v from "valibot";
import type { ConfigIssue } from "../lib/errors.ts";
import { configKeyKind } from "./configKeys.ts";
import { configSchema, type TaskerConfig } from "./configSchema.ts";
import { maskConfigNode } from "./maskSecrets.ts";

function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const part of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function toConfigIssue(issue: v.BaseIssue<unknown>, merged: unknown, sources: Readonly<Record<string, string>>): ConfigIssue {
  const path = (v.getDotPath(issue) ?? "").split(".");
  let depth = path.length;
  while (depth > 0 && configKeyKind(path.slice(0, depth).join(".")) !== "key") depth--;
  const key = depth === 0 ? path.join(".") : path.slice(0, depth).join(".");
  const rest = path.slice(depth);
  const value = valueAt(merged, path);
  // Array items are masked under `key[]` paths, so a bad API key entry does not print its key.
  const itemKey = key + rest.map((part) => (/^\d+$/.test(part) ? "[]" : `.${part}`)).join("");
  return {
    key,
    value: maskConfigNode(itemKey, value),
    source: sources[key] ?? "default",
    message: rest.length === 0 ? issue.message : `item ${rest.join(".")}: ${issue.message}`,
  };
}

/** Validates the fully merged config against the schema; issues name the key, value (masked) and its source. */
export function validateConfig(
  merged: unknown,
  sources: Readonly<Record<string, string>>,
): { config: TaskerConfig; issues: [] } | { config: undefined; issues: ConfigIssue[] } {
  const result = v.safeParse(configSchema, merged, { abortPipeEarly: true });
  if (result.success) return { config: result.output, issues: [] };
  return { config: undefined, issues: result.issues.map((issue) => toConfigIssue(issue, merged, sources)) };
}
