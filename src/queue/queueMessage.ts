/**
 * Queue rows as the application sees them. Rows are decoded by column name, never
 * by position: pgmq >= 1.9 adds `last_read_at` in the middle of its message record.
 */

/**
 * A message id: PostgreSQL `bigint` as a decimal string. Strings keep ids exact past
 * 2^53, survive JSON and match what postgres.js returns for bigint by default.
 */
export type MsgId = string;

/** Accepted wherever an id goes into SQL. */
export type MsgIdInput = MsgId | number | bigint;

export type MessageHeaders = Record<string, unknown>;

export interface QueueMessage<T = unknown> {
  msgId: MsgId;
  /** How many times the message was handed out by read/readSpecific. */
  readCount: number;
  enqueuedAt: Date;
  /** When it becomes (or became) visible to readers again: pgmq's `vt`. */
  visibleAt: Date;
  message: T;
  headers: MessageHeaders | null;
}

export interface QueueMetrics {
  queueName: string;
  /** Messages in the queue, visible or not. */
  queueLength: number;
  /** Messages a read would see now. */
  queueVisibleLength: number;
  newestMessageAgeSeconds: number | null;
  oldestMessageAgeSeconds: number | null;
  /** Messages ever sent to the queue. */
  totalMessages: number;
  scrapeTime: Date;
}

export interface QueueInfo {
  queueName: string;
  isPartitioned: boolean;
  isUnlogged: boolean;
  createdAt: Date;
}

export interface MessageRow {
  msg_id: string | number | bigint;
  read_ct: number;
  enqueued_at: Date;
  vt: Date;
  message: unknown;
  headers: unknown;
}

export interface MetricsRow {
  queue_name: string;
  queue_length: string | number | bigint;
  newest_msg_age_sec: number | null;
  oldest_msg_age_sec: number | null;
  total_messages: string | number | bigint;
  scrape_time: Date;
  queue_visible_length: string | number | bigint;
}

export interface QueueRow {
  queue_name: string;
  is_partitioned: boolean;
  is_unlogged: boolean;
  created_at: Date;
}

export function toMsgId(value: string | number | bigint): MsgId {
  return String(value);
}

function toHeaders(value: unknown): MessageHeaders | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as MessageHeaders) : null;
}

export function decodeMessage<T>(row: MessageRow): QueueMessage<T> {
  return {
    msgId: toMsgId(row.msg_id),
    readCount: Number(row.read_ct),
    enqueuedAt: row.enqueued_at,
    visibleAt: row.vt,
    message: row.message as T,
    headers: toHeaders(row.headers),
  };
}

export function decodeMetrics(row: MetricsRow): QueueMetrics {
  return {
    queueName: row.queue_name,
    queueLength: Number(row.queue_length),
    queueVisibleLength: Number(row.queue_visible_length),
    newestMessageAgeSeconds: row.newest_msg_age_sec,
    oldestMessageAgeSeconds: row.oldest_msg_age_sec,
    totalMessages: Number(row.total_messages),
    scrapeTime: row.scrape_time,
  };
}

export function decodeQueue(row: QueueRow): QueueInfo {
  return {
    queueName: row.queue_name,
    isPartitioned: row.is_partitioned,
    isUnlogged: row.is_unlogged,
    createdAt: row.created_at,
  };
}
