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
    /** A custom publisher's name and `additionalMetadata`. */
    [key: string]: unknown;
  };
}

const SUBSCRIBER = Symbol.for("tasker.domain_event_subscriber");

/** An in-process subscriber to `fast` (and `broadcast`) domain events; export it from a module of the namespace folder. */
export interface DomainEventSubscriber {
  readonly [SUBSCRIBER]: true;
  /** `payment.processed`, `payment.*` (`*`: one dot-separated part), `payment.**` or `**` (any parts). */
  readonly pattern: string;
  readonly handle: (event: DomainEvent, tools: { log: Logger }) => unknown;
  /** Whether an event name is for this subscriber, when not by `pattern` (tasker-core's subscribers). */
  readonly matches?: (eventName: string) => boolean;
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

/** A subscriber with its own name rule (tasker-core's `BaseSubscriber` patterns); not part of the SDK. */
export function subscriberFor(pattern: string, matches: (eventName: string) => boolean, handle: DomainEventSubscriber["handle"]): DomainEventSubscriber {
  return Object.freeze({ [SUBSCRIBER]: true as const, pattern, handle, matches });
}

/** Whether a subscriber receives an event of this name. */
export function subscriberMatches(subscriber: DomainEventSubscriber, eventName: string): boolean {
  return subscriber.matches ? subscriber.matches(eventName) : eventPatternMatches(subscriber.pattern, eventName);
}

export function isDomainEventSubscriber(value: unknown): value is DomainEventSubscriber {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[SUBSCRIBER] === true;
}

/** Whether one dot-separated part matches a pattern part (`*` stands for any characters). */
function partMatches(pattern: string, part: string): boolean {
  if (!pattern.includes("*")) return pattern === part;
  const source = pattern.split("*").map((piece) => piece.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&")).join(".*");
  return new RegExp(`^${source}$`).test(part);
}

function partsMatch(pattern: readonly string[], name: readonly string[]): boolean {
  const [head, ...rest] = pattern;
  if (head === undefined) return name.length === 0;
  // `**`: any number of parts, none included.
  if (head === "**") return name.some((_, i) => partsMatch(rest, name.slice(i))) || partsMatch(rest, []);
  return name.length > 0 && partMatches(head, name[0]!) && partsMatch(rest, name.slice(1));
}

/** Whether an event name matches a subscriber's pattern (`*` one part, `**` any parts). */
export function eventPatternMatches(pattern: string, eventName: string): boolean {
  return partsMatch(pattern.split("."), eventName.split("."));
}
