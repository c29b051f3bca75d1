import type { Telemetry } from "../telemetry/telemetry.ts";
import type { QueueClient } from "./queueClient.ts";

/**
 * The queue client with the messaging metrics of direct queue operations: sends
 * (count, duration, failures) and archives (count, duration). Sends and archives
 * made inside the engine's SQL functions are counted where those calls return
 * (tasker_messages_sent_total / _archived_total) and timed as their SQL call.
 */
export function instrumentQueueClient(client: QueueClient, telemetry: Telemetry): QueueClient {
  const { metrics } = telemetry;
  const timed = async <T>(queue: string, kind: "send" | "archive", count: (result: T) => number, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      const result = await run();
      const ms = performance.now() - started;
      if (kind === "send") {
        metrics.messageSendDuration.record(ms, { queue });
        metrics.messagesSent.add(count(result), { queue });
      } else {
        metrics.messageArchiveDuration.record(ms, { queue });
        metrics.messagesArchived.add(count(result), { queue });
      }
      return result;
    } catch (error) {
      if (kind === "send") metrics.messageSendFailures.add(1, { queue });
      throw error;
    }
  };
  const one = (): number => 1;
  const many = (ids: readonly unknown[]): number => ids.length;
  return {
    ...client,
    send: (queue, message, options) => timed(queue, "send", one, () => client.send(queue, message, options)),
    sendWithNotify: (queue, message, options) => timed(queue, "send", one, () => client.sendWithNotify(queue, message, options)),
    sendBatch: (queue, messages, options) => timed(queue, "send", many, () => client.sendBatch(queue, messages, options)),
    sendBatchWithNotify: (queue, messages, options) =>
      timed(queue, "send", many, () => client.sendBatchWithNotify(queue, messages, options)),
    archive: ((queue: string, ids: Parameters<QueueClient["archive"]>[1]) =>
      timed(
        queue,
        "archive",
        (result: boolean | string[]) => (Array.isArray(result) ? result.length : result ? 1 : 0),
        () => client.archive(queue, ids as never) as Promise<boolean | string[]>,
      )) as QueueClient["archive"],
  };
}
