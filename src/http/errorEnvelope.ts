import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { isConnectionError } from "../db/sqlState.ts";
import { DatabaseUnavailableError, TaskerError } from "../lib/errors.ts";
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
  BACKPRESSURE: 503,
  DATABASE_UNAVAILABLE: 503,
};

export interface ErrorBody {
  error: { code: string; message: string; field?: string; retry_after_seconds?: number };
}

/** `details.retry_after_seconds` of an error that asks the client to come back later (BACKPRESSURE). */
function retryAfterOf(error: TaskerError): number | undefined {
  const seconds = error.details?.["retry_after_seconds"];
  return typeof seconds === "number" && Number.isInteger(seconds) && seconds >= 0 ? seconds : undefined;
}

function fieldOf(error: TaskerError): string | undefined {
  const field = (error as { field?: unknown }).field ?? error.details?.["field"];
  return typeof field === "string" ? field : undefined;
}

/** The single place errors become HTTP responses: `{"error": {"code", "message", "field"?}}`. */
export function errorResponse(c: Context, error: unknown, logger: Logger): Response {
  if (!(error instanceof TaskerError) && isConnectionError(error)) {
    // The database is restarting or unreachable: a client should come back shortly.
    logger.warn("database unavailable during a request", { path: c.req.path, method: c.req.method, error });
    error = new DatabaseUnavailableError("the database is unavailable; retry shortly", {
      cause: error,
      details: { retry_after_seconds: 1 },
    });
  }
  if (error instanceof TaskerError) {
    const status = STATUS_BY_CODE[error.code];
    if (status !== undefined) {
      if (error instanceof AuthError) c.header("x-auth-failure-reason", error.reason);
      const field = fieldOf(error);
      const retryAfter = retryAfterOf(error);
      if (retryAfter !== undefined) c.header("Retry-After", String(retryAfter));
      const body: ErrorBody = {
        error: {
          code: error.code,
          message: error.message,
          ...(field ? { field } : {}),
          ...(retryAfter !== undefined ? { retry_after_seconds: retryAfter } : {}),
        },
      };
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
