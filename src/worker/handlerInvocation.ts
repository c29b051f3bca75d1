import type { StepContext, StepHandler } from "../sdk/stepContext.ts";
import { unwrapResult } from "../sdk/resultMetadata.ts";
import { yieldedProgress } from "../sdk/stepProgress.ts";
import { toCheckpointInput } from "./stepContextBuilder.ts";
import type { CheckpointInput } from "./stepRepository.ts";
import { findNonJson } from "../lib/jsonResult.ts";
import { classifyThrown, type StepFailure } from "./stepFailure.ts";

/**
 * How one call of a handler ended, as plain data (a handler thread posts it as is). `value` has
 * passed findNonJson and the size check, so a structured clone of it is the same JSON.
 */
export type Invocation =
  | { ok: true; value: unknown; metadata?: Record<string, unknown>; yielded?: { checkpoint: CheckpointInput | null } }
  | { ok: false; failure: StepFailure };

/** A failure of the step that no handler code raised (a bad result, a killed thread...). */
export function stepFailure(errorType: string, message: string, retryable: boolean): StepFailure {
  return { message, errorType, retryable, retryAfterSeconds: undefined, backtrace: undefined, metadata: undefined };
}

/** Failure metadata is stored as JSON: keep what survives JSON, drop the rest. */
function jsonMetadata(metadata: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (metadata === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(metadata)) as Record<string, unknown>;
  } catch {
    return { note: "the error's metadata is not JSON and was dropped" };
  }
}

/**
 * Calls a handler and checks what it returns: a JSON value of at most `maxResultBytes` UTF-8
 * bytes is success; a throw is classified (StepError, retryable flag,
 * non-Error values); a non-JSON or oversized result is a permanent failure. Never throws.
 * Timeouts and aborts are the caller's: this waits for the handler, however long it takes.
 */
export async function invokeHandler(handler: StepHandler, ctx: StepContext, maxResultBytes: number): Promise<Invocation> {
  let value: unknown;
  try {
    value = await Promise.resolve().then(() => handler(ctx));
  } catch (thrown) {
    const failure = classifyThrown(thrown);
    return { ok: false, failure: { ...failure, metadata: jsonMetadata(failure.metadata) } };
  }
  if (value === undefined) value = null;
  const yielded = yieldedProgress(value);
  if (yielded !== undefined) return { ok: true, value: null, yielded: { checkpoint: yielded === null ? null : toCheckpointInput(yielded) } };
  const unwrapped = unwrapResult(value);
  value = unwrapped.value === undefined ? null : unwrapped.value;
  const metadata = jsonMetadata(unwrapped.metadata);
  const state = { undefinedMembers: false };
  const problem = findNonJson(value, "result", 0, [], state);
  if (problem) return { ok: false, failure: stepFailure("invalid_result", `the handler's result is not JSON: ${problem}`, false) };
  const text = JSON.stringify(value);
  // `{ phone: undefined }` is `{}` in JSON: pass on what will be stored.
  if (state.undefinedMembers) value = JSON.parse(text);
  const bytes = Buffer.byteLength(text);
  if (bytes > maxResultBytes) {
    return {
      ok: false,
      failure: stepFailure(
        "result_too_large",
        `the handler's result is ${bytes} bytes of JSON, over the limit of ${maxResultBytes} (worker.max_result_bytes)`,
        false,
      ),
    };
  }
  return metadata && Object.keys(metadata).length > 0 ? { ok: true, value, metadata } : { ok: true, value };
}
