import {
  SubscriberRegistry,
  subscriberPatternMatches,
  type DomainEvent as CompatDomainEvent,
  type DomainEventBus,
} from "../sdk/compat/domainEvents.ts";
import type { DomainEvent } from "../sdk/domainEvents.ts";
import { isRecord } from "../lib/isRecord.ts";

type Callback = (event: CompatDomainEvent) => void | Promise<void>;
const subscriptions: Array<{ pattern: string; callback: Callback }> = [];

/**
 * The process's bus for tasker-core-style subscribers (`BaseSubscriber`, `SubscriberRegistry`):
 * like tasker-core's in-process bus it spans every namespace the process serves.
 */
const bus: DomainEventBus = {
  subscribe(pattern, callback) {
    subscriptions.push({ pattern, callback });
  },
};

/** Starts the registered subscribers on the process's bus (idempotent; called at worker start). */
export function startCompatSubscribers(): void {
  // Stopped since (a test's `reset()`): starting again subscribes everything anew.
  if (!SubscriberRegistry.instance.isStarted) subscriptions.length = 0;
  SubscriberRegistry.instance.startAll(bus);
}

/** The callbacks whose pattern matches an event name. */
export function compatListeners(eventName: string): Callback[] {
  return subscriptions.filter((s) => subscriberPatternMatches(s.pattern, eventName)).map((s) => s.callback);
}

/**
 * The envelope in the camelCase shape tasker-core's subscribers receive. It shares the
 * envelope's nested values: callers hand each subscriber a copy (dispatch clones per delivery).
 */
export function toCompatEvent(envelope: DomainEvent): CompatDomainEvent {
  const { metadata, payload } = envelope;
  const { task_uuid, step_uuid, step_name, namespace, correlation_id, fired_at, fired_by, traceparent, ...extra } = metadata as DomainEvent["metadata"] &
    Record<string, unknown>;
  const execution = payload.execution_result as { success?: boolean; result?: unknown; metadata?: Record<string, unknown> } | null;
  const asRecord = (value: unknown): Record<string, unknown> => (isRecord(value) ? value : { value });
  return {
    eventId: envelope.event_id,
    eventName: envelope.event_name,
    payload: asRecord(payload.payload),
    metadata: {
      ...extra,
      taskUuid: task_uuid,
      stepUuid: step_uuid,
      stepName: step_name,
      namespace,
      correlationId: correlation_id,
      firedAt: fired_at,
      firedBy: fired_by,
      ...(traceparent ? { traceparent } : {}),
    },
    executionResult: {
      success: execution?.success === true,
      ...(execution?.result === undefined ? {} : { result: asRecord(execution.result) }),
      ...(execution?.metadata ? { metadata: execution.metadata } : {}),
    },
  };
}
