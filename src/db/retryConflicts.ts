import { backoffMs, delay } from "../lib/time.ts";
import { SqlState, sqlStateOf } from "./sqlState.ts";

/** After these the whole transaction was rolled back, so running it again is safe. */
const CONFLICTS: ReadonlySet<string> = new Set([SqlState.deadlockDetected, SqlState.serializationFailure]);

/**
 * Runs a transaction again when PostgreSQL aborted it for a deadlock or a serialization
 * failure. The worker's step path and the operator's task-first functions lock in opposite
 * orders where they meet (ARCHITECTURE.md, "Lock order"); PostgreSQL breaks such a cycle by
 * aborting one side, and that side is repeated here instead of failing the request or the loop.
 * `run` must be a whole transaction (one autocommitted call or one `sql.begin`), never a
 * statement inside one. The last conflict is thrown after `attempts` tries.
 */
export async function retryConflicts<T>(run: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const state = sqlStateOf(error);
      if (attempt >= attempts || state === undefined || !CONFLICTS.has(state)) throw error;
      // Jittered, so two repeated transactions do not meet again in step.
      await delay(backoffMs(attempt, 10, 80));
    }
  }
}
