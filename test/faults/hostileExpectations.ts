/** The fault_hostile fixture's limits and how each hostile step must fail (Bun's fault test and the Deno smoke run check the same). */
export const HOSTILE_RESULT_LIMIT = 256 * 1024;
export const HOSTILE_MEMORY_LIMIT_MB = 128;

/** step name → [error_type, a fragment of the message]. */
export const HOSTILE_FAILURES: Record<string, [string, string]> = {
  throw_string: ["handler_error", 'handler threw a non-Error value: "a thrown string"'],
  throw_object: ["handler_error", "a thrown plain object"],
  throw_null: ["handler_error", "handler threw a non-Error value: null"],
  return_function: ["invalid_result", "result.callback is a function"],
  return_bigint: ["invalid_result", "result.big is a bigint"],
  return_date: ["invalid_result", "result.when is a Date, not a plain object"],
  return_cyclic: ["invalid_result", "result.self is a circular reference"],
  return_huge: ["result_too_large", `over the limit of ${HOSTILE_RESULT_LIMIT} (worker.max_result_bytes)`],
  hang_ignoring_signal: ["timeout", "did not finish within 1000 ms"],
  spin_forever: ["timeout", "did not finish within 1000 ms"],
  exhaust_memory: ["memory_limit_exceeded", `over the limit of ${HOSTILE_MEMORY_LIMIT_MB} MiB (worker.handler_max_memory_mb)`],
  exhaust_memory_async: ["memory_limit_exceeded", `over the limit of ${HOSTILE_MEMORY_LIMIT_MB} MiB (worker.handler_max_memory_mb)`],
  exit_process: ["handler_crashed", "exit code 7"],
  throw_later: ["handler_crashed", "thrown from a timer"],
};
