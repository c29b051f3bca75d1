import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { TaskerError } from "../lib/errors.ts";
import type { Logger } from "../telemetry/logger.ts";
import { AuthError } from "./auth/authError.ts";

/** One table from error code to HTTP status. Codes not listed are a logged 500. */
export const STATUS_BY_CODE: Readonly<Record<string, ContentfulStatusCode>> = {
  VALIDATION_FAILED: 400,
  BAD_REQUEST: 400,
  JSON_ERROR: 400,
  INVALID_STATE: 400,
  UNAUTHORIZED: 401,
  AUTHENTICATION_FAILED: 401,
  FORBIDDEN: 403,
  AUTHORIZATION_FAILED: 403,
  NOT_FOUND: 404,
  TIMEOUT: 408,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  SERVICE_UNAVAILABLE: 503,
  DATABASE_UNAVAILABLE: 503,
};

export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

function fieldOf(error: TaskerError): string | undefined {
  const field = (error as { field?: unknown }).field ?? error.details?.["field"];
  return typeof field === "string" ? field : undefined;
}

/** The single place errors become HTTP responses: `{"error": {"code", "message", "field"?}}`. */
export function errorResponse(c: Context, error: unknown, logger: Logger): Response {
  if (error instanceof TaskerError) {
    const status = STATUS_BY_CODE[error.code];
    if (status !== undefined) {
      if (error instanceof AuthError) c.header("x-auth-failure-reason", error.reason);
      const field = fieldOf(error);
      const body: ErrorBody = { error: { code: error.code, message: error.message, ...(field ? { field } : {}) } };
      return c.json(body, status);
    }
  }
  logger.error("unhandled error in request", {
    error,
    path: c.req.path,
    method: c.req.method,
    request_id: c.get("requestId"),
  });
  return c.json<ErrorBody>({ error: { code: "INTERNAL_ERROR", message: "internal server error" } }, 500);
}
