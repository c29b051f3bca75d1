/**
 * `@tasker-systems/tasker`: the surface of tasker-core's TypeScript worker package that its
 * handlers use, served by the binary (a virtual module, like `tasker`), so those handler files
 * run unchanged. Pure TypeScript: no Bun, database or node imports here.
 */
export { ErrorType, isTypicallyRetryable } from "./errorType.ts";
export { StepHandlerResult, type OrchestrationMetadata } from "./stepHandlerResult.ts";
export { PermanentError, RetryableError } from "./compatErrors.ts";
export { StepContext, type DependencyResult } from "./compatStepContext.ts";
export { StepHandler, isStepHandlerClass, type StepHandlerClass } from "./stepHandler.ts";
export { Decision, DecisionHandler, DecisionHandler as DecisionStepHandler } from "./decisions.ts";
/** What decision and batchable handlers return (names from the package's earlier releases). */
export type { StepHandlerResult as DecisionResult, StepHandlerResult as BatchableResult } from "./stepHandlerResult.ts";
export { ApiHandler, ApiResponse, applyAPI, type ApiClient, type BodyOptions } from "./apiHandler.ts";
export {
  defineApiHandler,
  defineBatchAnalyzer,
  defineBatchWorker,
  defineDecisionHandler,
  defineHandler,
  type BatchAnalysis,
  type HandlerArgs,
  type HandlerOptions,
} from "./functional.ts";
export {
  BatchableStepHandler,
  createCursorConfigs,
  createCursorRanges,
  detectAggregationScenario,
  type BatchAggregationScenario,
  type BatchWorkerConfig,
  type BatchWorkerContext,
  type CursorConfig,
} from "./batches.ts";
export {
  BasePublisher,
  BaseSubscriber,
  DefaultPublisher,
  DuplicatePublisherError,
  PublisherNotFoundError,
  PublisherRegistry,
  PublisherValidationError,
  RegistryFrozenError,
  SubscriberRegistry,
  type DomainEvent,
  type DomainEventBus,
  type DomainEventMetadata,
  type EventDeclaration,
  type PublishContext,
  type StepEventContext,
  type StepResult,
  type SubscriberClass,
  type SubscriberStats,
} from "./domainEvents.ts";
