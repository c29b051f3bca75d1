/** Validation of the values the queue client passes to SQL, before any query runs. */
import { ValidationError } from "../lib/errors.ts";
import type { MsgId, MsgIdInput } from "./queueMessage.ts";

const MAX_INT32 = 2_147_483_647;
const MSG_ID_PATTERN = /^[1-9][0-9]{0,18}$/;

export function assertSeconds(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_INT32) {
    throw new ValidationError(`${field} must be a whole number of seconds >= 0 (got ${String(value)})`, { field });
  }
  return value;
}

export function assertQuantity(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_INT32) {
    throw new ValidationError(`quantity must be a whole number >= 1 (got ${String(value)})`, { field: "quantity" });
  }
  return value;
}

export function assertMsgId(value: MsgIdInput): MsgId {
  const text = typeof value === "string" ? value : typeof value === "bigint" || Number.isInteger(value) ? String(value) : "";
  if (!MSG_ID_PATTERN.test(text)) {
    throw new ValidationError(`message id must be a positive integer (got ${String(value).slice(0, 40)})`, {
      field: "msg_id",
    });
  }
  return text;
}

/** JSON text for a jsonb parameter; rejects values JSON cannot represent (undefined, functions, bigint). */
export function toJsonText(field: string, value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new ValidationError(`${field} is not serialisable as JSON`, { field, cause: error });
  }
  if (text === undefined) throw new ValidationError(`${field} is not serialisable as JSON`, { field });
  return text;
}

export function toHeadersText(headers: Record<string, unknown> | null | undefined): string | null {
  return headers == null ? null : toJsonText("headers", headers);
}
