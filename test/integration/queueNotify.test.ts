/**
 * Send-with-notify and the LISTEN connection: inline and signal-only payloads, batch
 * notifications, malformed payloads, and recovery after the listening backend is
 * terminated. Real commits throughout (notifications are delivered on commit).
 */
import { createQueueClient, type QueueClient } from "../../src/queue/queueClient.ts";
import { ORCHESTRATION_STEP_RESULTS, notifyChannel, workerQueueName } from "../../src/queue/queueNames.ts";
import type { QueueNotification } from "../../src/queue/queueNotification.ts";
import { createNotifyListener, type NotifyListener } from "../../src/queue/notifyListener.ts";
import { createLogger } from "../../src/telemetry/logger.ts";
import { useTestDatabase } from "../support/database.ts";
import { afterAll, beforeAll, expect, test } from "../support/test.ts";
import { waitFor } from "../support/waitFor.ts";

/** The error a promise rejects with; fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}

const db = useTestDatabase(import.meta.file);
const APPLICATION_NAME = `tasker-notify-test-${process.pid}`;
const NAMESPACE = "payments";
const QUEUE = workerQueueName(NAMESPACE);

const logLines: string[] = [];
const logger = createLogger({ level: "debug", format: "json", write: (line) => logLines.push(line) });
const received: QueueNotification[] = [];
let reconnects = 0;
let queues: QueueClient;
let listener: NotifyListener;

beforeAll(async () => {
  queues = createQueueClient(db.sql);
  await queues.create(QUEUE);
  await queues.create(ORCHESTRATION_STEP_RESULTS);
  listener = createNotifyListener({
    url: db.url,
    logger,
    reconnect: { baseMs: 50, maxMs: 400 },
    applicationName: APPLICATION_NAME,
    onReconnect: () => {
      reconnects += 1;
    },
  });
  await listener.subscribe(notifyChannel(NAMESPACE), (notification) => {
    received.push(notification);
  });
});

afterAll(async () => {
  await listener.close();
});

/** What the payments subscriber got for a message of the payments queue. */
function receivedFor(msgId: string): QueueNotification | undefined {
  return received.find(
    (n) => n.queueName === QUEUE && (n.eventType === "batch_ready" ? n.msgIds.includes(msgId) : n.msgId === msgId),
  );
}

test("a_small_message_travels_inline_in_the_notification", async () => {
  const message = { task_uuid: "0190-task", step_uuid: "0190-step", correlation_id: "0190-corr" };
  const msgId = await queues.sendWithNotify(QUEUE, message);
  const notification = await waitFor(() => receivedFor(msgId), { timeoutMs: 5_000, description: "the notification" });
  expect(notification).toMatchObject({
    eventType: "message_with_payload",
    msgId,
    queueName: QUEUE,
    namespace: NAMESPACE,
    message,
    delaySeconds: 0,
  });
  expect(notification.readyAt).toBeInstanceOf(Date);
});

test("an_oversized_message_is_signalled_without_payload_and_read_specific_fetches_it", async () => {
  const message = { blob: "x".repeat(7_500) };
  const msgId = await queues.sendWithNotify(QUEUE, message, { headers: { trace: "t-9" } });
  const notification = await waitFor(() => receivedFor(msgId), { timeoutMs: 5_000 });
  expect(notification.eventType).toBe("message_ready");
  expect("message" in notification).toBe(false);

  const fetched = await queues.readSpecific<typeof message>(QUEUE, msgId, { visibilityTimeoutSeconds: 30 });
  expect(fetched?.message).toEqual(message);
  expect(fetched?.headers).toEqual({ trace: "t-9" });
  expect(fetched?.readCount).toBe(1);
  // Claimed: a second targeted read (another consumer) gets nothing until the vt passes.
  expect(await queues.readSpecific(QUEUE, msgId)).toBeNull();
  await queues.setVisibilityTimeout(QUEUE, msgId, 0);
  expect((await queues.readSpecific(QUEUE, msgId))?.readCount).toBe(2);
  await queues.archive(QUEUE, msgId);
  expect(await queues.readSpecific(QUEUE, msgId)).toBeNull();
});

test("a_message_at_the_threshold_is_signal_only_and_one_below_travels_inline", async () => {
  // JSON text of {"b": "..."} is 9 characters plus the string.
  const below = await queues.sendWithNotify(QUEUE, { b: "y".repeat(6_999 - 9) });
  const at = await queues.sendWithNotify(QUEUE, { b: "y".repeat(7_000 - 9) });
  expect((await waitFor(() => receivedFor(below), { timeoutMs: 5_000 })).eventType).toBe("message_with_payload");
  expect((await waitFor(() => receivedFor(at), { timeoutMs: 5_000 })).eventType).toBe("message_ready");
});

test("a_batch_sends_one_batch_ready_notification", async () => {
  const before = received.length;
  const ids = await queues.sendBatchWithNotify(QUEUE, [{ i: 1 }, { i: 2 }, { i: 3 }]);
  const notification = await waitFor(() => receivedFor(ids[0] ?? ""), { timeoutMs: 5_000 });
  expect(notification).toMatchObject({ eventType: "batch_ready", msgIds: ids, messageCount: 3, queueName: QUEUE });
  expect(received.slice(before).filter((n) => n.eventType === "batch_ready")).toHaveLength(1);
});

test("orchestration_queues_notify_the_orchestration_channel", async () => {
  const got: QueueNotification[] = [];
  const unsubscribe = await listener.subscribe(notifyChannel("orchestration"), (n) => {
    got.push(n);
  });
  const msgId = await queues.sendWithNotify(ORCHESTRATION_STEP_RESULTS, { task_uuid: "t" });
  const notification = await waitFor(() => got.find((n) => n.eventType !== "batch_ready" && n.msgId === msgId), {
    timeoutMs: 5_000,
  });
  expect(notification.namespace).toBe("orchestration");
  expect(received.some((n) => n.queueName === ORCHESTRATION_STEP_RESULTS)).toBe(false);
  await unsubscribe();
});

test("a_malformed_payload_is_logged_and_dropped_without_breaking_delivery", async () => {
  const before = received.length;
  await db.sql`SELECT pg_notify(${notifyChannel(NAMESPACE)}, ${"not json {"})`;
  await db.sql`SELECT pg_notify(${notifyChannel(NAMESPACE)}, ${JSON.stringify({ event_type: "mystery" })})`;
  const msgId = await queues.sendWithNotify(QUEUE, { after: "garbage" });
  await waitFor(() => receivedFor(msgId), { timeoutMs: 5_000 });
  expect(received.length).toBe(before + 1);
  expect(logLines.filter((line) => line.includes("dropped a malformed notification"))).toHaveLength(2);
});

test("invalid_channel_names_are_rejected", async () => {
  for (const channel of ["", "Upper", 'a"b', "a;b", "x".repeat(64)]) {
    expect(await rejection(listener.subscribe(channel, () => {}))).toBeInstanceOf(Error);
  }
});

test("the_listener_reconnects_after_its_backend_is_terminated_and_resubscribes", async () => {
  const orchestration: QueueNotification[] = [];
  await listener.subscribe(notifyChannel("orchestration"), (n) => {
    orchestration.push(n);
  });
  expect(listener.isConnected()).toBe(true);
  const reconnectsBefore = reconnects;
  const [terminated] = await db.sql<{ count: number }[]>`
    SELECT count(*)::int AS count FROM (
      SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ${APPLICATION_NAME}
    ) AS t`;
  expect(terminated?.count).toBe(1);

  await waitFor(() => reconnects > reconnectsBefore && listener.isConnected(), {
    timeoutMs: 10_000,
    description: "onReconnect after the backend was terminated",
  });
  expect(logLines.some((line) => line.includes("notify listener connection lost"))).toBe(true);

  const msgId = await queues.sendWithNotify(QUEUE, { after: "reconnect" });
  const notification = await waitFor(() => receivedFor(msgId), { timeoutMs: 5_000 });
  expect(notification.eventType).toBe("message_with_payload");
  // Every channel is LISTENed again, not only the first.
  const resultId = await queues.sendWithNotify(ORCHESTRATION_STEP_RESULTS, { task_uuid: "after-reconnect" });
  await waitFor(() => orchestration.find((n) => n.eventType !== "batch_ready" && n.msgId === resultId), {
    timeoutMs: 5_000,
    description: "the orchestration channel after reconnect",
  });
  const [backends] = await db.sql<{ count: number }[]>`
    SELECT count(*)::int AS count FROM pg_stat_activity WHERE application_name = ${APPLICATION_NAME}`;
  expect(backends?.count).toBe(1);
});

test("a_closed_listener_refuses_new_subscriptions", async () => {
  const other = createNotifyListener({ url: db.url, logger, reconnect: { baseMs: 50, maxMs: 400 } });
  await other.close();
  expect(other.isConnected()).toBe(false);
  expect(await rejection(other.subscribe(notifyChannel(NAMESPACE), () => {}))).toMatchObject({ code: "LISTENER_CLOSED" });
});
