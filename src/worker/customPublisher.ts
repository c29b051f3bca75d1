import { PublisherRegistry, type BasePublisher, type EventDeclaration, type StepEventContext, type StepResult } from "../sdk/compat/domainEvents.ts";
import type { DomainEventDeclaration } from "../templates/taskTemplate.ts";
import type { ClaimedStep, StepExecutionResult } from "./stepRepository.ts";
import { isRecord } from "../lib/isRecord.ts";

/**
 * A declaration's custom publisher (`publisher: PaymentEventPublisher`): the namespace's own
 * (exported by its modules), else the process's `PublisherRegistry`; null for none, `default` or
 * an unknown name (the event then carries the step's result, as tasker-core's `getOrDefault` does).
 */
export function customPublisherFor(event: Pick<DomainEventDeclaration, "publisher">, own: ReadonlyMap<string, BasePublisher>): BasePublisher | null {
  if (event.publisher === null || event.publisher === "default") return null;
  return own.get(event.publisher) ?? PublisherRegistry.instance.get(event.publisher) ?? null;
}

/** Declared publishers no module registered, as `template step: name` lines for a start-up warning. */
export function unregisteredPublishers(
  templates: ReadonlyArray<{ namespace: string; name: string; steps: ReadonlyArray<{ name: string; publishesEvents: readonly DomainEventDeclaration[] }> }>,
  own: ReadonlyMap<string, BasePublisher>,
): string[] {
  const lines: string[] = [];
  for (const template of templates) {
    for (const step of template.steps) {
      for (const event of step.publishesEvents) {
        if (event.publisher !== null && !own.has(event.publisher) && !PublisherRegistry.instance.isRegistered(event.publisher)) {
          lines.push(`${template.namespace}/${template.name} step ${step.name}: ${event.name} names publisher ${event.publisher}`);
        }
      }
    }
  }
  return lines;
}

/** What a publisher's hooks receive: tasker-core's shapes. */
export function publisherInputs(event: DomainEventDeclaration, claimed: ClaimedStep, result: StepExecutionResult) {
  const declaration: EventDeclaration = {
    name: event.name,
    condition: event.condition,
    deliveryMode: event.deliveryMode,
    ...(event.publisher === null ? {} : { publisher: event.publisher }),
    ...(event.schema === null ? {} : { schema: event.schema }),
  };
  const asRecord = (value: unknown): Record<string, unknown> | undefined => (isRecord(value) ? value : undefined);
  const outcome = result.success ? asRecord(result.result) : { error: result.error };
  const stepResult: StepResult = { success: result.success, ...(outcome ? { result: outcome } : {}), metadata: { ...result.metadata } };
  const stepContext: StepEventContext = {
    taskUuid: claimed.task.task_uuid,
    stepUuid: claimed.step.step_uuid,
    stepName: claimed.step.name,
    namespace: claimed.task.namespace,
    correlationId: claimed.task.correlation_id,
    ...(outcome ? { result: outcome } : {}),
    metadata: { ...result.metadata },
  };
  return { declaration, stepResult, stepContext };
}

/**
 * Runs `shouldPublish`, `transformPayload` and `additionalMetadata`: null when the publisher
 * declines. Throws what the publisher throws.
 */
export function shapeEvent(
  publisher: BasePublisher,
  inputs: ReturnType<typeof publisherInputs>,
): { payload: Record<string, unknown>; metadata: Record<string, unknown> } | null {
  const { declaration, stepResult, stepContext } = inputs;
  if (!publisher.shouldPublish(stepResult, declaration, stepContext)) return null;
  const payload = publisher.transformPayload(stepResult, declaration, stepContext);
  const metadata = { publisher: publisher.publisherName, ...publisher.additionalMetadata(stepResult, declaration, stepContext) };
  return { payload, metadata };
}
