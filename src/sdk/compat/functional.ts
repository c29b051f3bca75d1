import { PermanentError as NativePermanentError } from "../permanentError.ts";
import { RetryableError as NativeRetryableError } from "../retryableError.ts";
import type { StepContext } from "./compatStepContext.ts";
import { createApiClient, type ApiClient } from "./apiHandler.ts";
import { batchContextOf, noOpWorkerResult, type BatchWorkerContext } from "./batches.ts";
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

/** What a functional analyzer returns: how many items, in batches of how many. */
export interface BatchAnalysis {
  totalItems: number;
  batchSize: number;
  metadata?: Record<string, unknown>;
}

/**
 * A functional batch analyzer (`type: batchable`): `fn` returns `{ totalItems, batchSize }` and
 * the step asks for one `workerTemplate` batch step per `batchSize` items, ids `batch_000`,
 * `batch_001`, ...; or it returns a StepHandlerResult itself.
 */
export function defineBatchAnalyzer(
  name: string,
  options: HandlerOptions & { workerTemplate: string },
  fn: (args: HandlerArgs) => BatchAnalysis | StepHandlerResult | Promise<BatchAnalysis | StepHandlerResult>,
): StepHandlerClass {
  return defineClass(name, options.version ?? "1.0.0", async (context) => {
    try {
      const analysis = await fn(argsOf(context, options));
      if (StepHandlerResult.is(analysis)) return analysis;
      const { totalItems, batchSize } = analysis;
      if (!(batchSize > 0)) throw new Error(`batchSize must be > 0, not ${batchSize}`);
      const count = totalItems > 0 ? Math.ceil(totalItems / batchSize) : 0;
      const cursorConfigs = Array.from({ length: count }, (_, i) => ({
        batch_id: `batch_${String(i).padStart(3, "0")}`,
        start_cursor: i * batchSize,
        end_cursor: Math.min((i + 1) * batchSize, totalItems),
        batch_size: Math.min((i + 1) * batchSize, totalItems) - i * batchSize,
      }));
      return StepHandlerResult.success(
        {
          batch_processing_outcome: {
            type: "create_batches",
            worker_template_name: options.workerTemplate,
            worker_count: count,
            cursor_configs: cursorConfigs,
            total_items: totalItems,
          },
        },
        { batch_count: count, total_items: totalItems, ...analysis.metadata },
      );
    } catch (thrown) {
      return asFailure(thrown);
    }
  });
}

/**
 * A functional batch step (`batch_worker`): `fn` gets the handler arguments and `batchContext`
 * (its cursor range and checkpoint); a placeholder batch (`is_no_op`) succeeds without calling it.
 */
export function defineBatchWorker(
  name: string,
  options: HandlerOptions,
  fn: (args: HandlerArgs & { batchContext: BatchWorkerContext | null }) => unknown,
): StepHandlerClass {
  return defineClass(name, options.version ?? "1.0.0", async (context) => {
    const noOp = noOpWorkerResult(context);
    if (noOp) return noOp;
    try {
      return asResult(await fn({ ...argsOf(context, options), batchContext: batchContextOf(context) }));
    } catch (thrown) {
      return asFailure(thrown);
    }
  });
}

/**
 * A functional API handler: `fn` gets the handler arguments and `api` (get/post/put/patch/delete
 * against `baseUrl`, and apiSuccess/apiFailure/connectionError/timeoutError).
 */
export function defineApiHandler(
  name: string,
  options: HandlerOptions & { baseUrl: string; timeout?: number; headers?: Record<string, string> },
  fn: (args: HandlerArgs & { api: ApiClient }) => unknown,
): StepHandlerClass {
  const api = createApiClient(() => ({ baseUrl: options.baseUrl, timeoutMs: options.timeout ?? 30_000, headers: options.headers ?? {} }));
  return defineClass(name, options.version ?? "1.0.0", async (context) => {
    try {
      return asResult(await fn({ ...argsOf(context, options), api }));
    } catch (thrown) {
      return asFailure(thrown);
    }
  });
}
