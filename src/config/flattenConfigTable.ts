import { configKeyKind } from "./configKeys.ts";
import type { ConfigAssignment, ConfigLayer } from "./configAssignment.ts";
import { maskConfigValue } from "./maskSecrets.ts";
import { unknownKeyMessage } from "./unknownKeyMessage.ts";

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** One parsed TOML document as leaf assignments; unknown keys and misplaced tables are issues. */
export function flattenConfigTable(table: Record<string, unknown>, source: string, prefix = ""): ConfigLayer {
  const layer: ConfigLayer = { assignments: [], issues: [] };
  for (const [name, value] of Object.entries(table)) {
    const key = prefix === "" ? name : `${prefix}.${name}`;
    const kind = configKeyKind(key);
    if (kind === "key") {
      layer.assignments.push({ key, value, source } satisfies ConfigAssignment);
    } else if (kind === "section" && isTable(value)) {
      const inner = flattenConfigTable(value, source, key);
      layer.assignments.push(...inner.assignments);
      layer.issues.push(...inner.issues);
    } else if (kind === "section") {
      layer.issues.push({ key, value, source, message: `must be a table ([${key}]), not a single value` });
    } else {
      layer.issues.push({ key, value: maskConfigValue(key, value), source, message: unknownKeyMessage(key) ?? "unknown config key" });
    }
  }
  return layer;
}
