/**
 * The typed PGMQ client. Works the same on the real pgmq extension and on the
 * built-in layer (migrations 0003/0004): it calls only pgmq's public functions and
 * tasker's notify helpers, and selects result columns by name.
 *
 * Every queue name passes `assertQueueName` before any SQL runs; values travel as
 * bound parameters with explicit casts (pgmq's functions are overloaded). Pass a
 * transaction (`sql.begin(tx => createQueueClient(tx)...)`) to enqueue atomically
 * with other writes.
 */
import type { Sql, TransactionSql } from "postgres";
import { sqlStateOf, SqlState } from "../db/sqlState.ts";
import { ValidationError } from "../lib/errors.ts";
import { assertQueueName } from "../lib/names.ts";
import { assertMsgId, assertQuantity, assertSeconds, toHeadersText, toJsonText } from "./queueArguments.ts";
import {
  decodeMessage,
  decodeMetrics,
  decodeQueue,
  toMsgId,
  type MessageHeaders,
  type MessageRow,
  type MetricsRow,
  type MsgId,
  type MsgIdInput,
  type QueueInfo,
  type QueueMessage,
  type QueueMetrics,
  type QueueRow,
} from "./queueMessage.ts";
import { QueueNotFoundError } from "./queueNotFoundError.ts";

export const DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30;

export type QueueSql = Sql | TransactionSql;

export interface SendOptions {
  /** Seconds before the message becomes visible; 0 by default. */
  delaySeconds?: number;
  headers?: MessageHeaders | null;
}

export interface SendBatchOptions {
  delaySeconds?: number;
  /** One entry per message (same length), or omitted. */
  headers?: readonly (MessageHeaders | null)[] | null;
}

export interface ReadOptions {
  /** How long the messages stay invisible to other readers; 30 s by default. */
  visibilityTimeoutSeconds?: number;
  /** At most this many messages; 1 by default. */
  quantity?: number;
  /** Only messages whose body contains this JSON (jsonb `@>`). */
  conditional?: Record<string, unknown>;
}

export interface QueueClient {
  /** Creates the queue and its archive; a no-op when it exists. */
  create(queue: string): Promise<void>;
  send<T>(queue: string, message: T, options?: SendOptions): Promise<MsgId>;
  /** Sends and notifies `pgmq_message_ready.<namespace>` in the same transaction. */
  sendWithNotify<T>(queue: string, message: T, options?: SendOptions): Promise<MsgId>;
  /** Ids in the order of `messages`. */
  sendBatch<T>(queue: string, messages: readonly T[], options?: SendBatchOptions): Promise<MsgId[]>;
  /** One `batch_ready` notification for the whole batch. */
  sendBatchWithNotify<T>(queue: string, messages: readonly T[], options?: SendBatchOptions): Promise<MsgId[]>;
  /** Claims up to `quantity` visible messages, oldest first (concurrent readers never share one). */
  read<T>(queue: string, options?: ReadOptions): Promise<QueueMessage<T>[]>;
  /** Claims one message by id if it is visible; null when claimed elsewhere, deleted or archived. */
  readSpecific<T>(
    queue: string,
    msgId: MsgIdInput,
    options?: { visibilityTimeoutSeconds?: number },
  ): Promise<QueueMessage<T> | null>;
  /** true when the message existed. */
  delete(queue: string, msgId: MsgIdInput): Promise<boolean>;
  /** The ids that existed and were deleted. */
  delete(queue: string, msgIds: readonly MsgIdInput[]): Promise<MsgId[]>;
  /** Moves to the archive table (the ack). true when the message existed. */
  archive(queue: string, msgId: MsgIdInput): Promise<boolean>;
  archive(queue: string, msgIds: readonly MsgIdInput[]): Promise<MsgId[]>;
  /** Visible again `seconds` from now (0 = now). null when the message does not exist. */
  setVisibilityTimeout<T>(queue: string, msgId: MsgIdInput, seconds: number): Promise<QueueMessage<T> | null>;
  /** Reads and deletes visible messages, oldest first. */
  pop<T>(queue: string, quantity?: number): Promise<QueueMessage<T>[]>;
  metrics(queue: string): Promise<QueueMetrics>;
  metricsAll(): Promise<QueueMetrics[]>;
  listQueues(): Promise<QueueInfo[]>;
  /** Deletes every message (not the archive); returns how many. */
  purge(queue: string): Promise<number>;
  /** Drops the queue and its archive; false when it did not exist. */
  drop(queue: string): Promise<boolean>;
}

/** Turns "relation pgmq.q_x does not exist" into a QueueNotFoundError; rethrows the rest. */
async function onQueue<R>(queue: string, run: () => Promise<R>): Promise<R> {
  try {
    return await run();
  } catch (error) {
    if (sqlStateOf(error) === SqlState.undefinedTable) throw new QueueNotFoundError(queue, { cause: error });
    throw error;
  }
}

/** The checked arguments of one send: queue name, message and headers as JSON text, delay. */
function sendArguments<T>(queue: string, message: T, options: SendOptions): { name: string; body: string; headers: string | null; delay: number } {
  return {
    name: assertQueueName(queue),
    body: toJsonText("message", message),
    headers: toHeadersText(options.headers),
    delay: assertSeconds("delaySeconds", options.delaySeconds ?? 0),
  };
}

function batchArguments<T>(
  messages: readonly T[],
  options: SendBatchOptions,
): { messages: string[]; headers: (string | null)[] | null; delay: number } {
  if (messages.length === 0) throw new ValidationError("a batch needs at least one message", { field: "messages" });
  const headers = options.headers ?? null;
  if (headers !== null && headers.length !== messages.length) {
    throw new ValidationError(`headers has ${headers.length} entries for ${messages.length} messages`, {
      field: "headers",
    });
  }
  return {
    messages: messages.map((m) => toJsonText("message", m)),
    headers: headers === null ? null : headers.map((h) => toHeadersText(h)),
    delay: assertSeconds("delaySeconds", options.delaySeconds ?? 0),
  };
}

export function createQueueClient(sql: QueueSql): QueueClient {
  // jsonb values travel as JSON text cast in SQL: postgres.js would otherwise treat
  // an array-valued message inside jsonb[] as a nested SQL array.
  const sendBatchVia = async <T>(
    fn: "pgmq" | "notify",
    queue: string,
    messages: readonly T[],
    options: SendBatchOptions,
  ): Promise<MsgId[]> => {
    const name = assertQueueName(queue);
    const args = batchArguments(messages, options);
    const msgs = sql.array(args.messages);
    const headers = args.headers === null ? null : sql.array(args.headers);
    const rows = await onQueue(name, () =>
      fn === "pgmq"
        ? sql<{ msg_id: string }[]>`
            SELECT b.msg_id FROM pgmq.send_batch(
              ${name}::text, ${msgs}::text[]::jsonb[], ${headers}::text[]::jsonb[], ${args.delay}::int
            ) WITH ORDINALITY AS b (msg_id, position)
            ORDER BY b.position`
        : sql<{ msg_id: string }[]>`
            SELECT b.msg_id FROM tasker.pgmq_send_batch_with_notify(
              ${name}::text, ${msgs}::text[]::jsonb[], ${args.delay}::int, ${headers}::text[]::jsonb[]
            ) WITH ORDINALITY AS b (msg_id, position)
            ORDER BY b.position`,
    );
    return rows.map((r) => toMsgId(r.msg_id));
  };

  const deleteOrArchive = async (
    fn: "delete" | "archive",
    queue: string,
    ids: MsgIdInput | readonly MsgIdInput[],
  ): Promise<boolean | MsgId[]> => {
    const name = assertQueueName(queue);
    if (Array.isArray(ids)) {
      const list = sql.array((ids as readonly MsgIdInput[]).map(assertMsgId));
      const rows = await onQueue(name, () =>
        fn === "delete"
          ? sql<{ msg_id: string }[]>`SELECT d AS msg_id FROM pgmq.delete(${name}::text, ${list}::bigint[]) AS d`
          : sql<{ msg_id: string }[]>`SELECT a AS msg_id FROM pgmq.archive(${name}::text, ${list}::bigint[]) AS a`,
      );
      return rows.map((r) => toMsgId(r.msg_id)).sort((a, b) => Number(BigInt(a) - BigInt(b)));
    }
    const id = assertMsgId(ids as MsgIdInput);
    const [row] = await onQueue(name, () =>
      fn === "delete"
        ? sql<{ done: boolean }[]>`SELECT pgmq.delete(${name}::text, ${id}::bigint) AS done`
        : sql<{ done: boolean }[]>`SELECT pgmq.archive(${name}::text, ${id}::bigint) AS done`,
    );
    return row?.done === true;
  };

  const client = {
    async create(queue: string): Promise<void> {
      const name = assertQueueName(queue);
      for (let attempt = 1; ; attempt += 1) {
        try {
          await sql`SELECT pgmq.create(${name}::text)`;
          return;
        } catch (error) {
          // Processes creating the same queue at once: pgmq.create serializes them, yet a loser
          // was seen (16 first requests of a new orchestrator) to find the winner's committed
          // table on CREATE TABLE. In a new transaction the queue exists and creating is a no-op.
          const state = sqlStateOf(error);
          const lostRace = state === SqlState.duplicateTable || state === SqlState.duplicateObject || state === SqlState.uniqueViolation;
          if (!lostRace || attempt >= 3) throw error;
        }
      }
    },

    async send<T>(queue: string, message: T, options: SendOptions = {}): Promise<MsgId> {
      const { name, body, headers, delay } = sendArguments(queue, message, options);
      const [row] = await onQueue(
        name,
        () => sql<{ msg_id: string }[]>`
          SELECT s AS msg_id FROM pgmq.send(${name}::text, ${body}::text::jsonb, ${headers}::text::jsonb, ${delay}::int) AS s`,
      );
      if (!row) throw new Error(`pgmq.send returned no id for queue ${name}`);
      return toMsgId(row.msg_id);
    },

    async sendWithNotify<T>(queue: string, message: T, options: SendOptions = {}): Promise<MsgId> {
      const { name, body, headers, delay } = sendArguments(queue, message, options);
      const [row] = await onQueue(
        name,
        () => sql<{ msg_id: string }[]>`
          SELECT tasker.pgmq_send_with_notify(
            ${name}::text, ${body}::text::jsonb, ${delay}::int, ${headers}::text::jsonb
          ) AS msg_id`,
      );
      if (!row) throw new Error(`pgmq_send_with_notify returned no id for queue ${name}`);
      return toMsgId(row.msg_id);
    },

    sendBatch<T>(queue: string, messages: readonly T[], options: SendBatchOptions = {}): Promise<MsgId[]> {
      return sendBatchVia("pgmq", queue, messages, options);
    },

    sendBatchWithNotify<T>(queue: string, messages: readonly T[], options: SendBatchOptions = {}): Promise<MsgId[]> {
      return sendBatchVia("notify", queue, messages, options);
    },

    async read<T>(queue: string, options: ReadOptions = {}): Promise<QueueMessage<T>[]> {
      const name = assertQueueName(queue);
      const vt = assertSeconds("visibilityTimeoutSeconds", options.visibilityTimeoutSeconds ?? DEFAULT_VISIBILITY_TIMEOUT_SECONDS);
      const qty = assertQuantity(options.quantity ?? 1);
      const conditional = toJsonText("conditional", options.conditional ?? {});
      const rows = await onQueue(
        name,
        () => sql<MessageRow[]>`
          SELECT r.msg_id, r.read_ct, r.enqueued_at, r.vt, r.message, r.headers
          FROM pgmq.read(${name}::text, ${vt}::int, ${qty}::int, ${conditional}::text::jsonb) AS r
          ORDER BY r.msg_id`,
      );
      return rows.map((r) => decodeMessage<T>(r));
    },

    async readSpecific<T>(
      queue: string,
      msgId: MsgIdInput,
      options: { visibilityTimeoutSeconds?: number } = {},
    ): Promise<QueueMessage<T> | null> {
      const name = assertQueueName(queue);
      const id = assertMsgId(msgId);
      const vt = assertSeconds("visibilityTimeoutSeconds", options.visibilityTimeoutSeconds ?? DEFAULT_VISIBILITY_TIMEOUT_SECONDS);
      const [row] = await onQueue(
        name,
        () => sql<MessageRow[]>`
          SELECT r.msg_id, r.read_ct, r.enqueued_at, r.vt, r.message, r.headers
          FROM tasker.pgmq_read_specific_message(${name}::text, ${id}::bigint, ${vt}::int) AS r`,
      );
      return row ? decodeMessage<T>(row) : null;
    },

    delete: (queue: string, ids: MsgIdInput | readonly MsgIdInput[]) => deleteOrArchive("delete", queue, ids),
    archive: (queue: string, ids: MsgIdInput | readonly MsgIdInput[]) => deleteOrArchive("archive", queue, ids),

    async setVisibilityTimeout<T>(queue: string, msgId: MsgIdInput, seconds: number): Promise<QueueMessage<T> | null> {
      const name = assertQueueName(queue);
      const id = assertMsgId(msgId);
      const vt = assertSeconds("seconds", seconds);
      const [row] = await onQueue(
        name,
        () => sql<MessageRow[]>`
          SELECT r.msg_id, r.read_ct, r.enqueued_at, r.vt, r.message, r.headers
          FROM pgmq.set_vt(${name}::text, ${id}::bigint, ${vt}::int) AS r`,
      );
      return row ? decodeMessage<T>(row) : null;
    },

    async pop<T>(queue: string, quantity?: number): Promise<QueueMessage<T>[]> {
      const name = assertQueueName(queue);
      // pgmq before 1.10 has only pop(queue_name); the one-argument form works everywhere.
      const rows = await onQueue(name, () =>
        quantity === undefined
          ? sql<MessageRow[]>`
              SELECT r.msg_id, r.read_ct, r.enqueued_at, r.vt, r.message, r.headers
              FROM pgmq.pop(${name}::text) AS r`
          : sql<MessageRow[]>`
              SELECT r.msg_id, r.read_ct, r.enqueued_at, r.vt, r.message, r.headers
              FROM pgmq.pop(${name}::text, ${assertQuantity(quantity)}::int) AS r
              ORDER BY r.msg_id`,
      );
      return rows.map((r) => decodeMessage<T>(r));
    },

    async metrics(queue: string): Promise<QueueMetrics> {
      const name = assertQueueName(queue);
      const [row] = await onQueue(name, () => sql<MetricsRow[]>`SELECT * FROM pgmq.metrics(${name}::text)`);
      if (!row) throw new QueueNotFoundError(name);
      return decodeMetrics(row);
    },

    async metricsAll(): Promise<QueueMetrics[]> {
      const rows = await sql<MetricsRow[]>`SELECT * FROM pgmq.metrics_all() ORDER BY queue_name`;
      return rows.map(decodeMetrics);
    },

    async listQueues(): Promise<QueueInfo[]> {
      const rows = await sql<QueueRow[]>`
        SELECT queue_name, is_partitioned, is_unlogged, created_at FROM pgmq.list_queues() ORDER BY queue_name`;
      return rows.map(decodeQueue);
    },

    async purge(queue: string): Promise<number> {
      const name = assertQueueName(queue);
      const [row] = await onQueue(name, () => sql<{ purged: string }[]>`SELECT pgmq.purge_queue(${name}::text) AS purged`);
      return Number(row?.purged ?? 0);
    },

    async drop(queue: string): Promise<boolean> {
      const name = assertQueueName(queue);
      const [row] = await sql<{ dropped: boolean }[]>`SELECT pgmq.drop_queue(${name}::text) AS dropped`;
      return row?.dropped === true;
    },
  };
  return client as QueueClient;
}
