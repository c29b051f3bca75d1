/**
 * Delivers one queue's messages to a handler, by LISTEN/NOTIFY, by polling, or by
 * both (hybrid, the default: notifications for latency, polling for whatever a
 * notification missed). Bounded: at most `limit.max` messages are handled at
 * once; a notification that arrives at capacity is left in the queue for the
 * poller, which reads only as many messages as there are free slots (the limit
 * may be shared by several consumers). A message
 * already in flight in this process is never dispatched twice.
 */
import { toError } from "../lib/errors.ts";
import { backoffMs } from "../lib/time.ts";
import type { Logger } from "../telemetry/logger.ts";
import { disabledTelemetry, type Telemetry } from "../telemetry/telemetry.ts";
import type { ConcurrencyLimit } from "./concurrencyLimit.ts";
import type { NotifyListener, Unsubscribe } from "./notifyListener.ts";
import type { QueueClient } from "./queueClient.ts";
import type { MsgId } from "./queueMessage.ts";
import type { QueueNotification } from "./queueNotification.ts";

export type QueueMode = "hybrid" | "event" | "polling";

export interface ConsumedMessage {
  msgId: MsgId;
  message: unknown;
  headers: Record<string, unknown> | null;
  source: "notify" | "poll";
  /** Deliveries so far, this one included (1 for a message that came inline by NOTIFY). */
  readCount?: number;
}

export interface QueueConsumerOptions {
  queues: QueueClient;
  listener: NotifyListener | undefined;
  queue: string;
  channel: string;
  mode: QueueMode;
  pollIntervalMs: number;
  batchSize: number;
  visibilityTimeoutSeconds: number;
  limit: ConcurrencyLimit;
  handle: (message: ConsumedMessage) => Promise<void>;
  logger: Logger;
  /** Messaging metrics (received, read time and failures, latency); none without it. */
  telemetry?: Telemetry;
}

export interface QueueConsumer {
  start(): Promise<void>;
  /** Makes the poller read now (e.g. after a reconnect or when capacity frees). */
  wake(): void;
  /** Stops taking messages; resolves when the poll loop has ended (in-flight handlers keep running). */
  stop(): Promise<void>;
  /** Promises of the handlers still running. */
  inFlight(): Promise<void>[];
}

export function createQueueConsumer(options: QueueConsumerOptions): QueueConsumer {
  const { queues, queue, logger } = options;
  const { metrics } = options.telemetry ?? disabledTelemetry();
  const fromNotify = { queue, source: "notify" } as const;
  const fromPoll = { queue, source: "poll" } as const;
  /** Time from a message becoming visible to this consumer receiving it. */
  const latency = (visibleSince: Date, source: "notify" | "poll"): void => {
    metrics.messageLatency.record(Math.max(0, Date.now() - visibleSince.getTime()), source === "poll" ? fromPoll : fromNotify);
  };
  const running = new Map<MsgId, Promise<void>>();
  let stopped = false;
  let unsubscribe: Unsubscribe | undefined;
  let loop: Promise<void> | undefined;
  let wakeUp: (() => void) | undefined;
  let wakePending = false;
  /** A message was left behind for lack of a slot: read again when one frees. */
  let starved = false;
  const polls = options.mode !== "event";
  const { limit } = options;

  const wake = (): void => {
    wakePending = true;
    wakeUp?.();
  };

  /** Runs the handler on a slot the caller already holds; false (slot released) when it must not run. */
  const start = (message: ConsumedMessage): boolean => {
    if (stopped || running.has(message.msgId)) {
      limit.release();
      return false;
    }
    metrics.messagesReceived.add(1, message.source === "poll" ? fromPoll : fromNotify);
    const work = options
      .handle(message)
      .catch((error: unknown) => {
        const retryInSeconds = Math.min(options.visibilityTimeoutSeconds, 2 ** Math.max(0, (message.readCount ?? 1) - 1));
        logger.error("message handler failed", { queue_name: queue, msg_id: message.msgId, retry_in_seconds: retryInSeconds, error: toError(error) });
        void redeliverSoon(message.msgId, retryInSeconds); // does not hold the slot while the database is away
      })
      .finally(() => {
        running.delete(message.msgId);
        limit.release();
      });
    running.set(message.msgId, work);
    return true;
  };

  /**
   * A message whose handler failed (a transient database error: the handlers archive what they
   * refuse) is delivered again in `seconds` (1, 2, 4... by delivery count, at most its visibility
   * timeout) instead of after the whole visibility timeout. While the database is away the call
   * itself fails, so it is retried for about as long as the lease would have lasted.
   */
  const redeliverSoon = async (msgId: MsgId, seconds: number): Promise<void> => {
    const deadline = Date.now() + options.visibilityTimeoutSeconds * 1000;
    for (let attempt = 1; !stopped; attempt += 1) {
      try {
        await queues.setVisibilityTimeout(queue, msgId, seconds);
        return;
      } catch (error) {
        const waitMs = backoffMs(attempt, 250, 4_000);
        if (Date.now() + waitMs >= deadline) {
          logger.warn("could not schedule a failed message for redelivery", { queue_name: queue, msg_id: msgId, error: toError(error).message });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  };

  /** A message this consumer read but will not handle goes back to the queue now, not after its lease. */
  const giveBack = async (msgId: MsgId): Promise<void> => {
    if (running.has(msgId)) return; // already being handled here
    await queues.setVisibilityTimeout(queue, msgId, 0).catch((error: unknown) => {
      logger.warn("could not return a message to the queue", { queue_name: queue, msg_id: msgId, error: toError(error).message });
    });
  };

  // Slots are taken before a message is read, never after: a message read under a
  // lease is either handled here or given back at once.
  const onNotification = async (notification: QueueNotification): Promise<void> => {
    if (notification.queueName !== queue || stopped) return;
    if (notification.eventType === "batch_ready") {
      wake();
      return;
    }
    if (running.has(notification.msgId)) return;
    if (!limit.tryAcquire()) {
      starved = true; // left in the queue; the poller reads it when a slot frees
      return;
    }
    if (notification.eventType === "message_with_payload") {
      latency(notification.readyAt, "notify");
      start({ msgId: notification.msgId, message: notification.message, headers: notification.headers, source: "notify" });
      return;
    }
    let fetched;
    const readStarted = performance.now();
    try {
      fetched = await queues.readSpecific(queue, notification.msgId, {
        visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
      });
    } catch (error) {
      limit.release();
      metrics.messageReceiveFailures.add(1, { queue });
      throw error;
    } finally {
      metrics.messageReceiveDuration.record(performance.now() - readStarted, fromNotify);
    }
    if (fetched) latency(notification.readyAt, "notify");
    if (!fetched) {
      limit.release();
      return;
    }
    const message = { msgId: fetched.msgId, message: fetched.message, headers: fetched.headers, source: "notify", readCount: fetched.readCount } as const;
    if (!start(message)) await giveBack(message.msgId);
  };

  const readOnce = async (): Promise<number> => {
    let reserved = 0;
    while (reserved < options.batchSize && limit.tryAcquire()) reserved += 1;
    if (reserved === 0) {
      starved = true;
      return 0;
    }
    starved = false;
    let messages;
    const readStarted = performance.now();
    try {
      messages = await queues.read(queue, { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds, quantity: reserved });
    } catch (error) {
      for (let i = 0; i < reserved; i += 1) limit.release();
      metrics.messageReceiveFailures.add(1, { queue });
      throw error;
    } finally {
      metrics.messageReceiveDuration.record(performance.now() - readStarted, fromPoll);
    }
    // A first delivery waited since it was enqueued; a redelivery's wait is its lease, not latency.
    for (const m of messages) if (m.readCount === 1) latency(m.enqueuedAt, "poll");
    for (let i = messages.length; i < reserved; i += 1) limit.release();
    for (const m of messages) {
      if (!start({ msgId: m.msgId, message: m.message, headers: m.headers, source: "poll", readCount: m.readCount })) await giveBack(m.msgId);
    }
    return messages.length === reserved ? messages.length : 0;
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (wakePending || stopped) {
        resolve();
        return;
      }
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      }
      wakeUp = done;
    });

  const pollLoop = async (): Promise<void> => {
    let failures = 0;
    while (!stopped) {
      wakePending = false;
      try {
        const full = await readOnce();
        failures = 0;
        if (full > 0) continue; // more may be waiting
      } catch (error) {
        failures += 1;
        logger.warn("queue poll failed", { queue_name: queue, failures, error: toError(error).message });
        await sleep(backoffMs(failures, options.pollIntervalMs, 30_000));
        continue;
      }
      // In event mode the loop only runs when woken (start, reconnect, capacity).
      await sleep(polls ? options.pollIntervalMs : 2_147_483_647);
    }
  };

  let offRelease: (() => void) | undefined;

  return {
    async start() {
      offRelease = limit.onRelease(() => {
        if (starved) wake();
      });
      if (options.mode !== "polling" && options.listener) {
        unsubscribe = await options.listener.subscribe(options.channel, (n) => onNotification(n));
      }
      wakePending = true; // a catch-up read at start in every mode
      loop = pollLoop();
    },
    wake,
    async stop() {
      stopped = true;
      offRelease?.();
      wakeUp?.();
      await unsubscribe?.().catch(() => {});
      await loop;
    },
    inFlight: () => [...running.values()],
  };
}
