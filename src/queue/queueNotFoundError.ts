import { TaskerError } from "../lib/errors.ts";

/** A queue operation named a queue that was never created (or was dropped). */
export class QueueNotFoundError extends TaskerError {
  readonly queueName: string;
  constructor(queueName: string, options: { cause?: unknown } = {}) {
    super("QUEUE_NOT_FOUND", `queue "${queueName}" does not exist`, { ...options, details: { queue_name: queueName } });
    this.queueName = queueName;
  }
}
