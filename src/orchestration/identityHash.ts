import { createHash } from "node:crypto";
import { newId } from "../lib/ids.ts";
import type { IdentityStrategy } from "../templates/taskTemplate.ts";
import { ValidationError } from "../lib/errors.ts";

/** JSON with object keys sorted at every level, so key order never changes a hash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * The dedup key of a task (tasker-core 9.9): an idempotency key wins; otherwise
 * strict = the template and its context, always_unique = a fresh id,
 * caller_provided = an idempotency key is required.
 */
export function identityHash(
  namedTaskUuid: string,
  strategy: IdentityStrategy,
  context: unknown,
  idempotencyKey: string | null,
): string {
  const sha = (text: string): string => createHash("sha256").update(text).digest("hex");
  if (idempotencyKey !== null) return sha(`${namedTaskUuid}:key:${idempotencyKey}`);
  switch (strategy) {
    case "always_unique":
      return sha(`${namedTaskUuid}:unique:${newId()}`);
    case "caller_provided":
      throw new ValidationError("idempotency_key: is required by this template's identity strategy (caller_provided)", {
        field: "idempotency_key",
      });
    case "strict":
      return sha(`${namedTaskUuid}:context:${canonicalJson(context)}`);
  }
}
