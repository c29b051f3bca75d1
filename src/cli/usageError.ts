import { TaskerError } from "../lib/errors.ts";

/** A bad command line: printed with the usage text, exit code 2. */
export class UsageError extends TaskerError {
  constructor(message: string) {
    super("USAGE", message);
  }
}
