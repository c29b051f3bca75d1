export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Shown in the timeout error, so a failure says what was awaited. */
  description?: string | (() => string);
}

/**
 * Polls `predicate` until it returns a truthy value (which is returned) or the
 * deadline passes. The only way tests wait: never a fixed sleep.
 */
export async function waitFor<T>(predicate: () => T | Promise<T>, options: WaitOptions): Promise<NonNullable<T>> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 25;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const what =
        typeof options.description === "function" ? options.description() : (options.description ?? "condition");
      const why = lastError instanceof Error ? `; last error: ${lastError.message}` : "";
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
