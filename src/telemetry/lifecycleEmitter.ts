import type { Logger, LogFields } from "./logger.ts";
import { FINAL_TASK_STATES, stepTransitionEvents, taskTransitionEvents } from "./lifecycleEventNames.ts";
import { activeTraceFields, addSpanEvent } from "./spans.ts";
import type { Telemetry } from "./telemetry.ts";
import { labels } from "./taskerMetrics.ts";

/** Who a transition happened to: the correlation id always, the rest where known. */
export type TransitionSubject = {
  correlation_id: string | undefined;
  task_uuid: string;
  namespace: string | undefined;
  step_uuid?: string;
  step_name?: string;
  attempt?: number;
};

export interface LifecycleEmitter {
  /** One call per task transition that committed, in commit order. */
  task(subject: TransitionSubject, from: string, to: string, fields?: LogFields): void;
  /** One call per step transition that committed. */
  step(subject: TransitionSubject, from: string | null, to: string, fields?: LogFields): void;
}

/** Milliseconds since the epoch encoded in a UUID v7 (tasks.task_uuid is one), or undefined. */
export function uuidV7Millis(uuid: string): number | undefined {
  if (uuid.length < 13 || uuid[14] !== "7") return undefined;
  const ms = Number.parseInt(uuid.slice(0, 8) + uuid.slice(9, 13), 16);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * Turns committed transitions (as the SQL functions report them) into lifecycle events:
 * an info log line per event name (`msg` and `event` are the name) with the correlation id
 * and the active trace ids, an event on the active span, and the state-machine metrics.
 * Callers emit only what their transaction committed, so each event appears exactly once.
 * Time in a task state is measured when this process saw the task enter it (a bounded map).
 */
export function createLifecycleEmitter(telemetry: Telemetry, logger: Logger, maxTrackedTasks = 10_000): LifecycleEmitter {
  const { metrics } = telemetry;
  const enteredAt = new Map<string, { state: string; at: number }>();

  const log = (events: string[], subject: TransitionSubject, from: string | null, to: string, fields?: LogFields): void => {
    const trace = telemetry.tracer ? activeTraceFields() : {};
    for (const event of events) {
      logger.info(event, { event, ...subject, from_state: from, to_state: to, ...fields, ...trace });
      if (telemetry.tracer) {
        addSpanEvent(event, () => labels({ from_state: from, to_state: to, step_uuid: subject.step_uuid, step_name: subject.step_name }));
      }
    }
  };

  const trackTaskState = (subject: TransitionSubject, from: string, to: string, now: number): void => {
    const previous = enteredAt.get(subject.task_uuid);
    if (previous && previous.state === from) {
      metrics.taskStateDuration.record((now - previous.at) / 1000, labels({ namespace: subject.namespace, state: from }));
    }
    if (FINAL_TASK_STATES.has(to)) {
      enteredAt.delete(subject.task_uuid);
      const created = uuidV7Millis(subject.task_uuid);
      if (created !== undefined) {
        metrics.taskCompletionDuration.record(Math.max(0, now - created) / 1000, labels({ namespace: subject.namespace, outcome: to }));
      }
      return;
    }
    enteredAt.delete(subject.task_uuid);
    if (enteredAt.size >= maxTrackedTasks) {
      const oldest = enteredAt.keys().next().value;
      if (oldest !== undefined) enteredAt.delete(oldest);
    }
    enteredAt.set(subject.task_uuid, { state: to, at: now });
  };

  return {
    task(subject, from, to, fields) {
      const namespace = subject.namespace;
      metrics.taskStateTransitions.add(1, labels({ namespace, from_state: from, to_state: to }));
      if (to === "complete") metrics.tasksCompletions.add(1, labels({ namespace }));
      if (to === "blocked_by_failures" || (to === "error" && from !== "blocked_by_failures")) {
        metrics.tasksFailures.add(1, labels({ namespace, state: to }));
      }
      trackTaskState(subject, from, to, Date.now());
      log(taskTransitionEvents(from, to), subject, from, to, fields);
    },
    step(subject, from, to, fields) {
      metrics.stepStateTransitions.add(1, labels({ namespace: subject.namespace, from_state: from ?? "none", to_state: to }));
      log(stepTransitionEvents(from, to), subject, from, to, fields);
    },
  };
}
