import type { TemplateIssue } from "./templateError.ts";
import { isRecord } from "../lib/isRecord.ts";

const ALIASES: ReadonlyArray<readonly [alias: string, key: string]> = [
  ["depends_on", "dependencies"],
  ["step_type", "type"],
];

/**
 * Copies the template with step aliases (`depends_on`, `step_type`) renamed to their
 * canonical keys. Giving both spellings on one step is an issue; the input is not mutated.
 */
export function foldStepAliases(raw: unknown, file: string, issues: TemplateIssue[]): unknown {
  if (!isRecord(raw) || !Array.isArray(raw["steps"])) return raw;
  const steps = (raw["steps"] as unknown[]).map((step, index) => {
    if (!isRecord(step)) return step;
    const folded: Record<string, unknown> = { ...step };
    for (const [alias, key] of ALIASES) {
      if (!(alias in folded)) continue;
      if (key in folded) {
        const label = typeof step["name"] === "string" ? step["name"] : `#${index + 1}`;
        issues.push({ file, step: label, message: `give either ${key} or ${alias}, not both` });
      } else {
        folded[key] = folded[alias];
      }
      delete folded[alias];
    }
    return folded;
  });
  return { ...raw, steps };
}
