import { PermanentError as NativePermanentError } from "../permanentError.ts";
import { RetryableError as NativeRetryableError } from "../retryableError.ts";
import type { StepContext } from "./compatStepContext.ts";
import { Decision } from "./decisions.ts";
import { StepHandler, type StepHandlerClass } from "./stepHandler.ts";
import { StepHandlerResult } from "./stepHandlerResult.ts";

/** `inputs`: handler argument name -> task context key; `depends`: argument name -> ancestor step name. */
export interface HandlerOptions {
  inputs?: Record<string, string>;
  depends?: Record<string, string>;
  version?: string;
}

export type HandlerArgs = { context: StepContext } & Record<string, unknown>;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) &&
  (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null);

function argsOf(context: StepContext, options: HandlerOptions): HandlerArgs {
  const args: HandlerArgs = { context };
  for (const [param, key] of Object.entries(options.inputs ?? {})) args[param] = context.getInput(key);
  for (const [param, step] of Object.entries(options.depends ?? {})) args[param] = context.getDependencyResult(step);
  return args;
}

/** A returned value as a result: a StepHandlerResult as is, an object as success, anything else wrapped. */
function asResult(value: unknown): StepHandlerResult {
  if (StepHandlerResult.is(value)) return value;
  if (value instanceof Decision) return StepHandlerResult.success(value.result);
  if (value === undefined || value === null) return StepHandlerResult.success({});
  if (isPlainObject(value)) return StepHandlerResult.success(value);
  return StepHandlerResult.success({ result: value });
}

/** A throw as a failure: PermanentError is not retried, RetryableError and anything else are. */
function asFailure(thrown: unknown): StepHandlerResult {
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  if (thrown instanceof NativePermanentError) return StepHandlerResult.failure(message, "permanent_error", false, { ...thrown.metadata });
  if (thrown instanceof NativeRetryableError) {
    const metadata: Record<string, unknown> = { ...thrown.metadata };
    return new StepHandlerResult({
      success: false,
      errorMessage: message,
      errorType: "retryable_error",
      retryable: true,
      metadata,
      ...(thrown.retryAfterSeconds === undefined ? {} : { orchestrationMetadata: { headers: { "retry-after": String(thrown.retryAfterSeconds) } } }),
    });
  }
  const errorType = thrown instanceof Error ? thrown.constructor.name : typeof thrown;
  return StepHandlerResult.failure(message, "handler_error", true, { errorType });
}

function defineClass(name: string, version: string, run: (context: StepContext) => Promise<StepHandlerResult>): StepHandlerClass {
  const Defined = class extends StepHandler {
    static override handlerName = name;
    static override handlerVersion = version;
    call(context: StepContext): Promise<StepHandlerResult> {
      return run(context);
    }
  };
  return Defined;
}

/**
 * tasker-core's functional handler: `fn` gets `{ context, ...inputs, ...dependency results }`;
 * an object it returns is the result, `undefined` is `{}`, another value is `{ result: value }`;
 * a thrown PermanentError fails the step for good, anything else thrown is retried.
 */
export function defineHandler(
  name: string,
  options: HandlerOptions,
  fn: (args: HandlerArgs) => unknown,
): StepHandlerClass {
  return defineClass(name, options.version ?? "1.0.0", async (context) => {
    try {
      return asResult(await fn(argsOf(context, options)));
    } catch (thrown) {
      return asFailure(thrown);
    }
  });
}

/** A functional decision handler: `fn` returns `Decision.route(steps)`, `Decision.skip(reason)` or a StepHandlerResult. */
export function defineDecisionHandler(
  name: string,
  options: HandlerOptions,
  fn: (args: HandlerArgs) => Decision | StepHandlerResult | Promise<Decision | StepHandlerResult>,
): StepHandlerClass {
  const version = options.version ?? "1.0.0";
  return defineClass(name, version, async (context) => {
    try {
      const decided = await fn(argsOf(context, options));
      if (decided instanceof Decision) {
        return StepHandlerResult.success(decided.result, { decision_handler: name, decision_version: version });
      }
      return asResult(decided);
    } catch (thrown) {
      return asFailure(thrown);
    }
  });
}
