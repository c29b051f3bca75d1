import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { TaskerError } from "../lib/errors.ts";
import type { Logger } from "../telemetry/logger.ts";

/** One table from error code to HTTP status. Codes not listed are 500. */
export const STATUS_BY_CODE: Readonly<Record<string, ContentfulStatusCode>> = {
  VALIDATION_FAILED: 400,
  BAD_REQUEST: 400,
  INVALID_STATE: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  SERVICE_UNAVAILABLE: 503,
  DATABASE_UNAVAILABLE: 503,
};

export interface ErrorBody {
  error: { code: string; message: string };
}

/** The single place errors become HTTP responses: `{"error": {"code", "message"}}`. */
export function errorResponse(c: Context, error: unknown, logger: Logger): Response {
  if (error instanceof TaskerError) {
    const status = STATUS_BY_CODE[error.code];
    if (status !== undefined) {
      return c.json<ErrorBody>({ error: { code: error.code, message: error.message } }, status);
    }
  }
  logger.error("unhandled error in request", { error, path: c.req.path, method: c.req.method });
  return c.json<ErrorBody>({ error: { code: "INTERNAL", message: "internal server error" } }, 500);
}
