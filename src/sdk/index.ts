/**
 * The public surface handler authors import as `tasker` (a virtual module at run time,
 * a tsconfig path for editors). Pure TypeScript: no Bun, database or node imports here.
 */
export { StepError, type StepErrorOptions } from "./stepError.ts";
export { PermanentError } from "./permanentError.ts";
export { RetryableError, type RetryableErrorOptions } from "./retryableError.ts";
export type { StepContext, StepHandler, StepInfo, StepSpan, StepTaskInfo } from "./stepContext.ts";
export type { CheckpointProgress, StepCheckpoint, StepYield } from "./stepProgress.ts";
export type { Logger, LogFields } from "../telemetry/logger.ts";
export { onDomainEvent, type DomainEvent, type DomainEventSubscriber } from "./domainEvents.ts";
