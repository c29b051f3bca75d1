import { PermanentError as NativePermanentError } from "../permanentError.ts";
import { RetryableError as NativeRetryableError } from "../retryableError.ts";
import { resultWithMetadata } from "../resultMetadata.ts";
import type { StepContext as NativeContext, StepHandler as NativeHandler } from "../stepContext.ts";
import { StepContext } from "./compatStepContext.ts";
import { isStepHandlerClass, type StepHandlerClass } from "./stepHandler.ts";
import { StepHandlerResult, type OrchestrationMetadata } from "./stepHandlerResult.ts";
import { isRecord } from "../../lib/isRecord.ts";

/** The delay a failure asks for: a `Retry-After` header, else the backoff hint. */
function retryAfterOf(meta: OrchestrationMetadata | null): number | undefined {
  if (!meta) return undefined;
  const header = Object.entries(meta.headers ?? {}).find(([name]) => name.toLowerCase() === "retry-after")?.[1];
  const fromHeader = header === undefined ? Number.NaN : Number(header);
  if (Number.isFinite(fromHeader) && fromHeader >= 0) return fromHeader;
  const hint = meta.backoff_hint?.delay_seconds;
  return typeof hint === "number" && Number.isFinite(hint) && hint >= 0 ? hint : undefined;
}

/**
 * What a tasker-core handler's return value means to this engine: a success is its `result`;
 * a checkpoint yield (`metadata.checkpoint_yield` with a `checkpoint_yield` result) saves the
 * checkpoint and runs the step again; a failure is thrown as this engine's PermanentError or
 * RetryableError with the handler's error type, metadata and Retry-After.
 */
export function toNativeOutcome(out: unknown, ctx: NativeContext): unknown {
  if (!StepHandlerResult.is(out)) return out === undefined ? {} : out;
  if (out.success) {
    const result = out.result;
    if (out.metadata["checkpoint_yield"] === true && isRecord(result) && result["type"] === "checkpoint_yield") {
      const items = result["items_processed"];
      return ctx.yield({
        cursor: result["cursor"],
        ...(typeof items === "number" ? { itemsProcessed: items } : {}),
        ...(result["accumulated_results"] !== undefined && result["accumulated_results"] !== null ? { accumulated: result["accumulated_results"] } : {}),
      });
    }
    // Metadata beyond the checkpoint flag (decision_handler, batch_count...) is stored beside the result.
    return Object.keys(out.metadata).length > 0 ? resultWithMetadata(result ?? {}, out.metadata) : (result ?? {});
  }
  const message = out.errorMessage ?? "Unknown error";
  const errorType = out.errorType ?? "handler_error";
  const metadata = { ...out.metadata, ...(out.errorCode ? { error_code: out.errorCode } : {}) };
  if (!out.retryable) throw new NativePermanentError(message, { errorType, metadata });
  const fromMetadata = out.metadata["retry_after_seconds"];
  const retryAfterSeconds =
    retryAfterOf(out.orchestrationMetadata) ?? (typeof fromMetadata === "number" && Number.isFinite(fromMetadata) && fromMetadata >= 0 ? fromMetadata : undefined);
  throw new NativeRetryableError(message, { errorType, metadata, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) });
}

/**
 * A tasker-core handler class as this engine's handler: a new instance per execution, its
 * `method` (default `call`; a missing one falls back to `call` with a warning, as tasker-core's
 * resolver chain does) called with tasker-core's StepContext.
 */
export function toNativeHandler(cls: StepHandlerClass, method: string | null): NativeHandler {
  return async (ctx) => {
    const instance = new cls() as unknown as Record<string, unknown>;
    let name = method ?? "call";
    if (typeof instance[name] !== "function") {
      ctx.log.warn("handler method not found; calling call()", { handler: cls.handlerName, method: name });
      name = "call";
    }
    const out: unknown = await (instance[name] as (context: StepContext) => unknown).call(instance, new StepContext(ctx, cls.handlerName));
    return toNativeOutcome(out, ctx);
  };
}

/** A resolved handler as this engine's handler: functions as they are, tasker-core classes wrapped. */
export function asNativeHandler(value: NativeHandler | StepHandlerClass, method: string | null = null): NativeHandler {
  return isStepHandlerClass(value) ? toNativeHandler(value, method) : (value);
}
