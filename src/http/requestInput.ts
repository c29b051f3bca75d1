import type { Context } from "hono";
import * as v from "valibot";
import { TaskerError } from "../lib/errors.ts";
import type { AnySchema } from "./apiRoute.ts";

/** A request that does not match a route's schema: 400 `BAD_REQUEST` naming the field. */
export class BadRequestError extends TaskerError {
  readonly field: string;
  constructor(field: string, message: string, code: "BAD_REQUEST" | "JSON_ERROR" = "BAD_REQUEST") {
    super(code, message, { details: { field } });
    this.field = field;
  }
}

/** Parses one part of a request (`where` is "path", "query" or "body") or throws BadRequestError. */
export function parsePart(schema: AnySchema, input: unknown, where: "path" | "query" | "body"): unknown {
  if (where !== "body") rejectUnstorableValues(input as Record<string, unknown>, where);
  const result = v.safeParse(schema, input, { abortPipeEarly: true });
  if (result.success) return result.output;
  const [issue] = result.issues;
  const dotPath = issue ? v.getDotPath(issue) : null;
  const field = dotPath ?? (where === "body" ? "body" : where);
  return failWith(field, `${field}: ${issue?.message ?? "is invalid"}`);
}

/**
 * PostgreSQL's text and jsonb cannot hold U+0000, and jsonb refuses an unpaired UTF-16
 * surrogate (`"\ud800"`, which JSON.stringify writes back as that escape): a request
 * carrying either would fail in the database (SQLSTATE 22P05, 22021, 22P02) as a 500, so
 * it is a 400 naming the field here.
 */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSTORABLE_MESSAGE = "must not contain U+0000 or an unpaired UTF-16 surrogate (PostgreSQL cannot store them)";

/** The path of the first string (value or key) PostgreSQL cannot store, if any. Depth is bounded by MAX_JSON_DEPTH. */
function findUnstorableText(value: unknown, path: string[]): string[] | undefined {
  if (typeof value === "string") return UNSTORABLE.test(value) ? path : undefined;
  if (typeof value !== "object" || value === null) return undefined;
  const entries: Array<[string, unknown]> = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  for (const [key, child] of entries) {
    if (UNSTORABLE.test(key)) return path;
    const found = findUnstorableText(child, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

/**
 * Deepest nesting of arrays and objects a JSON body may have. Parsing, validating, hashing and
 * serialising JSON are recursive (JSON.stringify in the database driver among them), so a
 * deeper body would overflow the stack somewhere as a 500; it is refused before parsing.
 */
export const MAX_JSON_DEPTH = 128;

/** Whether JSON text nests deeper than `max`: one pass over the text, strings skipped. */
function nestingExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > max) return true;
    } else if (ch === 0x7d || ch === 0x5d) depth--;
  }
  return false;
}

function rejectUnstorableValues(values: Record<string, unknown> | undefined, where: "path" | "query"): void {
  for (const [name, value] of Object.entries(values ?? {})) {
    const texts = Array.isArray(value) ? value : [value];
    if (texts.some((t) => typeof t === "string" && UNSTORABLE.test(t))) failWith(name, `${name}: ${UNSTORABLE_MESSAGE}`);
    if (UNSTORABLE.test(name)) failWith(where, `${where}: ${UNSTORABLE_MESSAGE}`);
  }
}

function failWith(field: string, message: string): never {
  throw new BadRequestError(field, message);
}

/** The JSON body: 400 for a wrong content type or malformed JSON, never a 500. */
export async function readJsonBody(c: Context): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/([a-z0-9.+-]+\+)?json\b/i.test(type.trim())) {
    throw new BadRequestError("content-type", "content-type: must be application/json");
  }
  const text = await c.req.text();
  if (nestingExceeds(text, MAX_JSON_DEPTH)) {
    throw new BadRequestError("body", `body: nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    throw new BadRequestError("body", "Invalid JSON format: the body is not valid JSON", "JSON_ERROR");
  }
  const unstorable = findUnstorableText(body, []);
  if (unstorable !== undefined) {
    const field = unstorable.length > 0 ? unstorable.join(".") : "body";
    throw new BadRequestError(field, `${field}: ${UNSTORABLE_MESSAGE}`);
  }
  return body;
}
