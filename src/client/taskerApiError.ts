import { TaskerError } from "../lib/errors.ts";

/**
 * A failed call to the tasker API: the error envelope's `code` and `message`
 * with the HTTP status, or `NETWORK_ERROR` / `TIMEOUT` (status undefined) when
 * no response arrived.
 */
export class TaskerApiError extends TaskerError {
  readonly status: number | undefined;

  constructor(code: string, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(code, message, { cause: options.cause, details: options.status === undefined ? undefined : { status: options.status } });
    this.status = options.status;
  }
}
