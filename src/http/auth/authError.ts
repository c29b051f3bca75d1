import { TaskerError } from "../../lib/errors.ts";

export type AuthFailureReason = "missing" | "expired" | "invalid" | "malformed" | "forbidden";

/**
 * 401 `AUTHENTICATION_FAILED` or 403 `AUTHORIZATION_FAILED`; the reason goes to the
 * `x-auth-failure-reason` header. The message never contains the credential.
 */
export class AuthError extends TaskerError {
  readonly reason: AuthFailureReason;
  constructor(reason: AuthFailureReason, message: string, options: { cause?: unknown } = {}) {
    super(reason === "forbidden" ? "AUTHORIZATION_FAILED" : "AUTHENTICATION_FAILED", message, options);
    this.reason = reason;
  }
}
