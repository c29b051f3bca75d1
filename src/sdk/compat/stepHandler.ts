import type { StepContext } from "./compatStepContext.ts";
import { StepHandlerResult } from "./stepHandlerResult.ts";

/**
 * tasker-core's class-style handler: `static handlerName` is the registry key a template's
 * `handler.callable` names; `call(context)` (or the method `handler.method` names) does the work.
 * Instantiated with `new` for every execution.
 */
export abstract class StepHandler {
  static handlerName: string;
  static handlerVersion = "1.0.0";

  abstract call(context: StepContext): Promise<StepHandlerResult> | StepHandlerResult;

  get name(): string {
    const ctor = this.constructor as typeof StepHandler;
    return ctor.handlerName ?? ctor.name;
  }

  get version(): string {
    return (this.constructor as typeof StepHandler).handlerVersion;
  }

  get capabilities(): string[] {
    return ["process"];
  }

  configSchema(): Record<string, unknown> | null {
    return null;
  }

  protected success(result: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): StepHandlerResult {
    return StepHandlerResult.success(result, metadata);
  }

  protected failure(
    message: string,
    errorType = "handler_error",
    retryable = true,
    metadata: Record<string, unknown> = {},
    errorCode?: string,
  ): StepHandlerResult {
    return StepHandlerResult.failure(message, errorType, retryable, metadata, errorCode);
  }
}

/** A class that can be registered: a function with a string static `handlerName`. */
export type StepHandlerClass = (new () => StepHandler) & { handlerName: string; handlerVersion?: string };

export function isStepHandlerClass(value: unknown): value is StepHandlerClass {
  if (typeof value !== "function") return false;
  const name: unknown = (value as unknown as { handlerName?: unknown }).handlerName;
  return typeof name === "string" && name.length > 0;
}
