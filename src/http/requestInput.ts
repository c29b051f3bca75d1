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
  const result = v.safeParse(schema, input, { abortPipeEarly: true });
  if (result.success) return result.output;
  const [issue] = result.issues;
  const dotPath = issue ? v.getDotPath(issue) : null;
  const field = dotPath ?? (where === "body" ? "body" : where);
  return failWith(field, `${field}: ${issue?.message ?? "is invalid"}`);
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
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BadRequestError("body", "Invalid JSON format: the body is not valid JSON", "JSON_ERROR");
  }
}
