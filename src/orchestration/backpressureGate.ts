import { TaskerError, toError } from "../lib/errors.ts";
import { QueueNotFoundError } from "../queue/queueNotFoundError.ts";
import type { QueueClient } from "../queue/queueClient.ts";
import { ORCHESTRATION_STEP_RESULTS, workerQueueName } from "../queue/queueNames.ts";
import type { Logger } from "../telemetry/logger.ts";

/** Task creation refused while a queue is deeper than the configured limit: 503 with `Retry-After`. */
export class BackpressureError extends TaskerError {
  readonly retryAfterSeconds: number;
  constructor(queue: string, depth: number, maxDepth: number, retryAfterSeconds: number) {
    super(
      "BACKPRESSURE",
      `queue ${queue} holds ${depth} messages (limit ${maxDepth}); retry in ${retryAfterSeconds} s`,
      { details: { queue_name: queue, retry_after_seconds: retryAfterSeconds } },
    );
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export interface BackpressureSettings {
  /** Deepest a queue may be before task creation is refused; 0 turns the gate off. */
  maxDepth: number;
  /** How long one depth measurement is reused. */
  measureIntervalMs: number;
  retryAfterSeconds: number;
}

export interface BackpressureGate {
  /** Throws BackpressureError when the namespace's worker queue or orchestration_step_results is too deep. */
  admit(namespace: string): Promise<void>;
}

const MAX_TRACKED_QUEUES = 256;

interface Measurement {
  at: number;
  depth: Promise<number>;
}

/**
 * Guards task creation against unbounded queue growth. It watches the two queues a new
 * task adds to: `worker_<ns>_queue` (its root steps, waiting for a worker of that
 * namespace) and `orchestration_step_results` (results waiting for any orchestrator).
 * A depth is measured at most once per `measureIntervalMs` per queue; concurrent requests
 * share the measurement in flight, so the hot path costs no query. A failed measurement
 * lets the request through (the database error, if real, surfaces in task creation).
 */
export function createBackpressureGate(queues: QueueClient, settings: BackpressureSettings, logger: Logger): BackpressureGate {
  const measurements = new Map<string, Measurement>();

  const measure = async (queue: string): Promise<number> => {
    try {
      return (await queues.metrics(queue)).queueLength;
    } catch (error) {
      if (!(error instanceof QueueNotFoundError)) {
        logger.warn("queue depth could not be measured for backpressure", { queue_name: queue, error: toError(error).message });
      }
      return 0;
    }
  };

  const depthOf = (queue: string): Promise<number> => {
    const now = performance.now();
    const cached = measurements.get(queue);
    if (cached && now - cached.at < settings.measureIntervalMs) return cached.depth;
    // Clients choose the namespace: forget stale measurements so the map stays bounded.
    if (measurements.size >= MAX_TRACKED_QUEUES) {
      for (const [name, m] of measurements) if (now - m.at >= settings.measureIntervalMs) measurements.delete(name);
    }
    const depth = measure(queue);
    measurements.set(queue, { at: now, depth });
    return depth;
  };

  return {
    async admit(namespace) {
      if (settings.maxDepth <= 0) return;
      for (const queue of [workerQueueName(namespace), ORCHESTRATION_STEP_RESULTS]) {
        const depth = await depthOf(queue);
        if (depth > settings.maxDepth) throw new BackpressureError(queue, depth, settings.maxDepth, settings.retryAfterSeconds);
      }
    },
  };
}
