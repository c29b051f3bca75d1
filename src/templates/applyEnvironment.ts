import type { TemplateIssue } from "./templateError.ts";
import { isRecord } from "../lib/isRecord.ts";

/** tasker-core's step name in an environment overlay that means every step. */
const ALL = "ALL";

/**
 * tasker-core's per-environment overlays (reference 5, `environments`):
 * `environments: { test: { steps: [{ name: <step> | ALL, timeout_seconds, retry, handler: { initialization } }] } }`.
 * For the running environment (`TASKER_ENV`), each override changes the steps it names, in
 * order: `timeout_seconds` is replaced, `retry` and `handler.initialization` are merged key by key
 * over the step's own. Every environment's overlay is checked (a typo in `production` is found
 * in `test`); a step name that no step has is an issue naming the overlay.
 */
export function applyEnvironment(raw: unknown, environment: string | undefined, file: string, issues: TemplateIssue[]): unknown {
  if (!isRecord(raw)) return raw;
  const environments = raw["environments"];
  if (environments === undefined || environments === null) return raw;
  if (!isRecord(environments)) {
    issues.push({ file, message: "environments: must be a map of environment names to overlays" });
    return raw;
  }
  const steps = Array.isArray(raw["steps"]) ? (raw["steps"] as unknown[]) : [];
  const names = new Set(steps.flatMap((s) => (isRecord(s) && typeof s["name"] === "string" ? [s["name"]] : [])));
  let result = raw;
  for (const [env, overlay] of Object.entries(environments)) {
    if (overlay === null || overlay === undefined) continue;
    const where = `environments.${env}`;
    if (!isRecord(overlay)) {
      issues.push({ file, message: `${where}: must be a map with steps` });
      continue;
    }
    const overrides = overlay["steps"] ?? [];
    if (!Array.isArray(overrides)) {
      issues.push({ file, message: `${where}.steps: must be a list of step overrides` });
      continue;
    }
    const valid: Array<Record<string, unknown>> = [];
    overrides.forEach((override: unknown, index) => {
      const at = `${where}.steps[${index}]`;
      if (!isRecord(override) || typeof override["name"] !== "string") {
        issues.push({ file, message: `${at}: must be a map with a step name (or ALL)` });
      } else if (override["name"] !== ALL && !names.has(override["name"])) {
        issues.push({ file, message: `${at}: no step is named "${override["name"]}"` });
      } else if (override["retry"] !== undefined && override["retry"] !== null && !isRecord(override["retry"])) {
        issues.push({ file, message: `${at}.retry: must be a map` });
      } else if (override["handler"] !== undefined && override["handler"] !== null && !isRecord(override["handler"])) {
        issues.push({ file, message: `${at}.handler: must be a map` });
      } else {
        valid.push(override);
      }
    });
    if (env === environment && valid.length > 0) result = { ...result, steps: steps.map((step) => overlaySteps(step, valid)) };
  }
  return result;
}

function overlaySteps(step: unknown, overrides: ReadonlyArray<Record<string, unknown>>): unknown {
  if (!isRecord(step)) return step;
  let out: Record<string, unknown> = step;
  for (const override of overrides) {
    if (override["name"] !== ALL && override["name"] !== step["name"]) continue;
    out = { ...out };
    if (override["timeout_seconds"] !== undefined) out["timeout_seconds"] = override["timeout_seconds"];
    const retry = override["retry"];
    if (isRecord(retry)) out["retry"] = { ...(isRecord(out["retry"]) ? out["retry"] : {}), ...retry };
    const initialization = isRecord(override["handler"]) ? override["handler"]["initialization"] : undefined;
    if (isRecord(initialization) && isRecord(out["handler"])) {
      const handler = out["handler"];
      out["handler"] = { ...handler, initialization: { ...(isRecord(handler["initialization"]) ? handler["initialization"] : {}), ...initialization } };
    }
  }
  return out;
}
