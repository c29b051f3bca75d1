import type { Logger } from "../telemetry/logger.ts";

/** A domain event as subscribers and queue consumers receive it (tasker-core's envelope). */
export interface DomainEvent {
  event_id: string;
  event_name: string;
  event_version: string;
  payload: { payload: unknown; execution_result: unknown; task_sequence_step: unknown };
  metadata: {
    task_uuid: string;
    step_uuid: string;
    step_name: string;
    namespace: string;
    correlation_id: string;
    fired_at: string;
    fired_by: string;
    traceparent?: string;
  };
}

const SUBSCRIBER = Symbol.for("tasker.domain_event_subscriber");

/** An in-process subscriber to `fast` (and `broadcast`) domain events; export it from a module of the namespace folder. */
export interface DomainEventSubscriber {
  readonly [SUBSCRIBER]: true;
  /** `payment.processed`, `payment.*` (`*`: one dot-separated part), `payment.**` or `**` (any parts). */
  readonly pattern: string;
  readonly handle: (event: DomainEvent, tools: { log: Logger }) => unknown;
}

/**
 * Subscribes to the namespace's `fast` and `broadcast` domain events whose name matches `pattern`.
 * Runs in the worker's own event loop after the step's result is recorded: keep it short and
 * non-blocking; a subscriber that throws is logged and counted, and affects nothing else.
 */
export function onDomainEvent(pattern: string, handle: DomainEventSubscriber["handle"]): DomainEventSubscriber {
  if (typeof pattern !== "string" || !/^[A-Za-z0-9_*-]+(\.[A-Za-z0-9_*-]+)*$/.test(pattern)) {
    throw new TypeError(`onDomainEvent: "${String(pattern)}" is not an event pattern (e.g. payment.* or payment.processed)`);
  }
  return Object.freeze({ [SUBSCRIBER]: true as const, pattern, handle });
}

export function isDomainEventSubscriber(value: unknown): value is DomainEventSubscriber {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[SUBSCRIBER] === true;
}

/** Whether an event name matches a subscriber's pattern (`*` one part, `**` any parts). */
export function eventPatternMatches(pattern: string, eventName: string): boolean {
  const source = pattern
    .split(".")
    .map((part) => (part === "**" ? "\u0000" : part.replace(/[-]/g, "\\-").replace(/\*/g, "[^.]*")))
    .join("\\.")
    .replace(/(\\\.)?\u0000(\\\.)?/g, (_m, before?: string, after?: string) => (before && after ? "(\\..*\\.|\\.)" : before ? "(\\..*)?" : after ? "(.*\\.)?" : ".*"));
  return new RegExp(`^${source}$`).test(eventName);
}
