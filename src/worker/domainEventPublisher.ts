import { newId } from "../lib/ids.ts";
import { toError } from "../lib/errors.ts";
import type { QueueClient } from "../queue/queueClient.ts";
import type { DomainEventDeclaration, StepDefinition, TaskTemplate } from "../templates/taskTemplate.ts";
import { compileInputSchema } from "../templates/validateTaskContext.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { Telemetry } from "../telemetry/telemetry.ts";
import { eventPatternMatches, type DomainEvent, type DomainEventSubscriber } from "../sdk/domainEvents.ts";
import type { ClaimedStep, StepExecutionResult } from "./stepRepository.ts";

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
 * in-process subscribers (`onDomainEvent`); broadcast ones to both.
 */
export function createDomainEventPublisher(deps: { queues: QueueClient; telemetry: Telemetry; logger: Logger; workerId: string }) {
  const { metrics } = deps.telemetry;
  const fail = (fields: Record<string, unknown>, reason: string, message: string): void => {
    metrics.domainEventsFailed.add(1, { namespace: String(fields["namespace"]), event_name: String(fields["event_name"]), reason });
    deps.logger.warn("domain event not published", { ...fields, reason, error: message });
  };

  /** Hands a fast event to the namespace's subscribers whose pattern matches; none: dropped. */
  const dispatch = (envelope: DomainEvent, subscribers: readonly DomainEventSubscriber[], fields: Record<string, unknown>): void => {
    const { namespace } = envelope.metadata;
    const matching = subscribers.filter((s) => eventPatternMatches(s.pattern, envelope.event_name));
    if (matching.length === 0) {
      metrics.domainEventsDropped.add(1, { namespace, event_name: envelope.event_name });
      return;
    }
    for (const subscriber of matching) {
      const log = deps.logger.child({ ...fields, subscriber_pattern: subscriber.pattern });
      void Promise.resolve()
        .then(() => subscriber.handle(structuredClone(envelope), { log }))
        .then(
          () => metrics.domainEventsDispatched.add(1, { namespace, event_name: envelope.event_name }),
          (error: unknown) => fail({ ...fields, subscriber_pattern: subscriber.pattern }, "subscriber_error", toError(error).message),
        );
    }
  };

  const publishOne = async (
    event: DomainEventDeclaration,
    claimed: ClaimedStep,
    result: StepExecutionResult,
    subscribers: readonly DomainEventSubscriber[],
    traceparent: string | undefined,
  ) => {
    const namespace = claimed.task.namespace;
    const fields = { event_name: event.name, namespace, correlation_id: claimed.task.correlation_id, task_uuid: claimed.task.task_uuid, step_uuid: claimed.step.step_uuid };
    const payload = result.success ? result.result : { error: result.error };
    if (event.schema) {
      const { validate, problem } = compileInputSchema(event.schema);
      if (!validate) return fail(fields, "schema_invalid", problem ?? "the schema does not compile");
      if (!validate(payload)) {
        const first = validate.errors?.[0];
        return fail(fields, "payload_invalid", `the payload does not match the event's schema: ${first ? `${first.instancePath || "payload"} ${first.message ?? ""}` : "invalid"}`.trim());
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
    if (event.deliveryMode !== "durable") dispatch(envelope, subscribers, fields);
    if (!durable(event)) return;
    const started = performance.now();
    try {
      await deps.queues.send(domainEventQueueName(namespace), envelope, traceparent ? { headers: { traceparent } } : {});
      metrics.domainEventsPublished.add(1, { namespace, event_name: event.name, delivery_mode: event.deliveryMode });
      metrics.domainEventPublishDuration.record(performance.now() - started, { namespace });
    } catch (error) {
      fail(fields, "queue_error", toError(error).message);
    }
  };

  return {
    /** Creates the durable event queues the templates need (at worker start). */
    async prepare(templates: readonly TaskTemplate[]): Promise<void> {
      const namespaces = new Set(templates.filter((t) => t.steps.some((s) => s.publishesEvents.some(durable))).map((t) => t.namespace));
      for (const namespace of namespaces) await deps.queues.create(domainEventQueueName(namespace));
    },

    /** Publishes, in the background, every declared event the step's ending triggers. */
    publish(
      definition: StepDefinition | undefined,
      claimed: ClaimedStep,
      result: StepExecutionResult,
      subscribers: readonly DomainEventSubscriber[],
      traceparent?: string,
    ): void {
      for (const event of definition?.publishesEvents ?? []) {
        if (!eventConditionMet(event, result)) continue;
        void publishOne(event, claimed, result, subscribers, traceparent).catch((error: unknown) =>
          fail({ event_name: event.name, namespace: claimed.task.namespace }, "publish_error", toError(error).message),
        );
      }
    },
  };
}
