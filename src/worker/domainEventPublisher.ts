import { newId } from "../lib/ids.ts";
import { toError } from "../lib/errors.ts";
import type { QueueClient } from "../queue/queueClient.ts";
import type { DomainEventDeclaration, StepDefinition, TaskTemplate } from "../templates/taskTemplate.ts";
import { compileInputSchema } from "../templates/validateTaskContext.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { Telemetry } from "../telemetry/telemetry.ts";
import { subscriberMatches, type DomainEvent, type DomainEventSubscriber } from "../sdk/domainEvents.ts";
import type { ClaimedStep, StepExecutionResult } from "./stepRepository.ts";
import { bindCompatLogger } from "../sdk/compat/compatLogger.ts";
import { compatListeners, startCompatSubscribers, toCompatEvent } from "./compatEventBus.ts";
import type { NamespaceEvents } from "./namespaceEvents.ts";
import { customPublisherFor, publisherInputs, shapeEvent, unregisteredPublishers } from "./customPublisher.ts";

/** The PGMQ queue external consumers read a namespace's durable domain events from. */
export const domainEventQueueName = (namespace: string): string => `${namespace}_domain_events`;

/** Whether an ending publishes an event declared with `condition`. */
export function eventConditionMet(event: Pick<DomainEventDeclaration, "condition">, result: Pick<StepExecutionResult, "success" | "error">): boolean {
  switch (event.condition) {
    case "always":
      return true;
    case "success":
      return result.success;
    case "failure":
      return !result.success;
    case "retryable_failure":
      return !result.success && result.error?.retryable === true;
    case "permanent_failure":
      return !result.success && result.error?.retryable !== true;
  }
}

const durable = (event: DomainEventDeclaration): boolean => event.deliveryMode === "durable" || event.deliveryMode === "broadcast";

/**
 * Publishes the domain events a step declares (`publishes_events`) when it ends, after its result
 * was recorded. Never fails or delays the step: a payload its schema refuses, or a queue that
 * cannot be written, is counted (`tasker_domain_events_failed_total`) and logged, and the step
 * goes on. Durable events go to `<namespace>_domain_events`; fast ones to the namespace's
 * in-process subscribers (`onDomainEvent`) and the process's `BaseSubscriber`s; broadcast ones
 * to both. A declaration's custom `publisher` shapes the payload and metadata first.
 */
export function createDomainEventPublisher(deps: { queues: QueueClient; telemetry: Telemetry; logger: Logger; workerId: string }) {
  const { metrics } = deps.telemetry;
  const fail = (fields: Record<string, unknown>, reason: string, message: string): void => {
    metrics.domainEventsFailed.add(1, { namespace: String(fields["namespace"]), event_name: String(fields["event_name"]), reason });
    deps.logger.warn("domain event not published", { ...fields, reason, error: message });
  };

  /**
   * Hands a fast event to the namespace's subscribers (`onDomainEvent`) and the process's
   * tasker-core-style ones (`BaseSubscriber`) whose pattern matches; none: dropped.
   */
  const dispatch = (envelope: DomainEvent, subscribers: readonly DomainEventSubscriber[], fields: Record<string, unknown>): void => {
    const { namespace } = envelope.metadata;
    const deliveries: Array<{ pattern: string; run: () => unknown }> = [];
    for (const subscriber of subscribers.filter((s) => subscriberMatches(s, envelope.event_name))) {
      const log = deps.logger.child({ ...fields, subscriber_pattern: subscriber.pattern });
      deliveries.push({ pattern: subscriber.pattern, run: () => subscriber.handle(structuredClone(envelope), { log }) });
    }
    const listeners = compatListeners(envelope.event_name);
    if (listeners.length > 0) {
      const compatEvent = toCompatEvent(envelope);
      for (const listener of listeners) deliveries.push({ pattern: "BaseSubscriber", run: () => listener(structuredClone(compatEvent)) });
    }
    if (deliveries.length === 0) {
      metrics.domainEventsDropped.add(1, { namespace, event_name: envelope.event_name });
      return;
    }
    for (const delivery of deliveries) {
      void Promise.resolve()
        .then(delivery.run)
        .then(
          () => metrics.domainEventsDispatched.add(1, { namespace, event_name: envelope.event_name }),
          (error: unknown) => fail({ ...fields, subscriber_pattern: delivery.pattern }, "subscriber_error", toError(error).message),
        );
    }
  };

  /** A publisher hook that throws is logged; it changes nothing else. */
  const hook = (fields: Record<string, unknown>, name: string, run: () => void): void => {
    try {
      run();
    } catch (error) {
      deps.logger.warn("domain event publisher hook failed", { ...fields, hook: name, error: toError(error).message });
    }
  };

  const publishOne = async (
    event: DomainEventDeclaration,
    claimed: ClaimedStep,
    result: StepExecutionResult,
    ns: NamespaceEvents,
    traceparent: string | undefined,
  ) => {
    const namespace = claimed.task.namespace;
    const fields = { event_name: event.name, namespace, correlation_id: claimed.task.correlation_id, task_uuid: claimed.task.task_uuid, step_uuid: claimed.step.step_uuid };
    let payload: unknown = result.success ? result.result : { error: result.error };
    let extraMetadata: Record<string, unknown> = {};
    const publisher = customPublisherFor(event, ns.publishers);
    const publisherFailed = (error: Error): void => {
      if (publisher) hook(fields, "onPublishError", () => publisher.onPublishError(event.name, error, payload as Record<string, unknown>));
    };
    if (publisher) {
      try {
        const shaped = shapeEvent(publisher, publisherInputs(event, claimed, result));
        if (shaped === null) return deps.logger.debug("domain event skipped by its publisher", { ...fields, publisher: publisher.publisherName });
        payload = shaped.payload;
        extraMetadata = shaped.metadata;
      } catch (error) {
        publisherFailed(toError(error));
        return fail(fields, "publisher_error", `publisher ${publisher.publisherName}: ${toError(error).message}`);
      }
    }
    if (event.schema) {
      const { validate, problem } = compileInputSchema(event.schema);
      if (!validate) return fail(fields, "schema_invalid", problem ?? "the schema does not compile");
      if (!validate(payload)) {
        const first = validate.errors?.[0];
        const message = `the payload does not match the event's schema: ${first ? `${first.instancePath || "payload"} ${first.message ?? ""}` : "invalid"}`.trim();
        publisherFailed(new Error(message));
        return fail(fields, "payload_invalid", message);
      }
    }
    const envelope: DomainEvent = {
      event_id: newId(),
      event_name: event.name,
      event_version: "1.0",
      payload: {
        payload,
        execution_result: result,
        task_sequence_step: {
          task: claimed.task,
          workflow_step: { step_uuid: claimed.step.step_uuid, name: claimed.step.name, attempt: claimed.step.attempt, inputs: claimed.step.inputs },
        },
      },
      metadata: {
        ...extraMetadata,
        task_uuid: claimed.task.task_uuid,
        step_uuid: claimed.step.step_uuid,
        step_name: claimed.step.name,
        namespace,
        correlation_id: claimed.task.correlation_id,
        fired_at: new Date().toISOString(),
        fired_by: deps.workerId,
        ...(traceparent ? { traceparent } : {}),
      },
    };
    if (publisher) {
      try {
        if (!publisher.beforePublish(event.name, payload as Record<string, unknown>, envelope.metadata)) {
          return deps.logger.debug("domain event skipped by its publisher", { ...fields, publisher: publisher.publisherName });
        }
      } catch (error) {
        publisherFailed(toError(error));
        return fail(fields, "publisher_error", `publisher ${publisher.publisherName}: ${toError(error).message}`);
      }
    }
    if (event.deliveryMode !== "durable") dispatch(envelope, ns.subscribers, fields);
    if (durable(event)) {
      const started = performance.now();
      try {
        await deps.queues.send(domainEventQueueName(namespace), envelope, traceparent ? { headers: { traceparent } } : {});
        metrics.domainEventsPublished.add(1, { namespace, event_name: event.name, delivery_mode: event.deliveryMode });
        metrics.domainEventPublishDuration.record(performance.now() - started, { namespace });
      } catch (error) {
        publisherFailed(toError(error));
        return fail(fields, "queue_error", toError(error).message);
      }
    }
    if (publisher) hook(fields, "afterPublish", () => publisher.afterPublish(event.name, payload as Record<string, unknown>, envelope.metadata));
  };

  return {
    /** Creates the durable event queues the templates need (at worker start). */
    async prepare(namespaces: ReadonlyArray<{ templates: readonly TaskTemplate[]; events: NamespaceEvents }>): Promise<void> {
      const templates = namespaces.flatMap((ns) => ns.templates);
      const durableNamespaces = new Set(templates.filter((t) => t.steps.some((s) => s.publishesEvents.some(durable))).map((t) => t.namespace));
      for (const namespace of durableNamespaces) await deps.queues.create(domainEventQueueName(namespace));
      for (const line of namespaces.flatMap((ns) => unregisteredPublishers(ns.templates, ns.events.publishers))) {
        deps.logger.warn("domain event publisher not registered: its events carry the step's result", { declaration: line });
      }
      bindCompatLogger(deps.logger);
      startCompatSubscribers();
    },

    /** Publishes, in the background, every declared event the step's ending triggers. */
    publish(
      definition: StepDefinition | undefined,
      claimed: ClaimedStep,
      result: StepExecutionResult,
      ns: NamespaceEvents,
      traceparent?: string,
    ): void {
      for (const event of definition?.publishesEvents ?? []) {
        if (!eventConditionMet(event, result)) continue;
        void publishOne(event, claimed, result, ns, traceparent).catch((error: unknown) =>
          fail({ event_name: event.name, namespace: claimed.task.namespace }, "publish_error", toError(error).message),
        );
      }
    },
  };
}
