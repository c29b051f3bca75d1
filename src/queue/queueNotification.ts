/**
 * What `tasker.pgmq_send_with_notify` and `tasker.pgmq_send_batch_with_notify`
 * put on `pgmq_message_ready.<namespace>`, parsed into a typed union. Ids are
 * decimal strings like everywhere else in the queue domain.
 */
import type { MsgId } from "./queueMessage.ts";

interface NotificationBase {
  queueName: string;
  namespace: string;
  /** When the message(s) become visible (send time + delay). */
  readyAt: Date;
  delaySeconds: number;
}

/** The message travels inline: no fetch needed. */
export interface MessageWithPayloadNotification extends NotificationBase {
  eventType: "message_with_payload";
  msgId: MsgId;
  message: unknown;
  /** The message's headers (e.g. W3C trace context), when it has any. */
  headers: Record<string, unknown> | null;
}

/** Too large to travel inline: fetch it with `readSpecific`. */
export interface MessageReadyNotification extends NotificationBase {
  eventType: "message_ready";
  msgId: MsgId;
  /** The message itself was small enough but the payload exceeded pg_notify's limit. */
  truncated: boolean;
}

export interface BatchReadyNotification extends NotificationBase {
  eventType: "batch_ready";
  /** All ids, or only the first one when `truncated`. */
  msgIds: MsgId[];
  messageCount: number;
  truncated: boolean;
}

export type QueueNotification = MessageWithPayloadNotification | MessageReadyNotification | BatchReadyNotification;

type Fields = Record<string, unknown>;

function msgIdOf(value: unknown): MsgId | undefined {
  if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) return String(value);
  if (typeof value === "string" && /^[1-9][0-9]{0,18}$/.test(value)) return value;
  return undefined;
}

function base(fields: Fields): NotificationBase | undefined {
  const { queue_name: queueName, namespace, ready_at: readyAt, delay_seconds: delaySeconds } = fields;
  if (typeof queueName !== "string" || typeof namespace !== "string" || typeof readyAt !== "string") return undefined;
  const ready = new Date(readyAt);
  if (Number.isNaN(ready.getTime())) return undefined;
  return {
    queueName,
    namespace,
    readyAt: ready,
    delaySeconds: typeof delaySeconds === "number" ? delaySeconds : 0,
  };
}

/** The notification, or undefined when the payload is not one of ours (never throws). */
export function parseQueueNotification(payload: string): QueueNotification | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const fields = parsed as Fields;
  const common = base(fields);
  if (!common) return undefined;

  switch (fields["event_type"]) {
    case "message_with_payload": {
      const msgId = msgIdOf(fields["msg_id"]);
      if (!msgId || !("message" in fields)) return undefined;
      const headers = fields["headers"];
      return {
        eventType: "message_with_payload",
        msgId,
        message: fields["message"],
        headers: typeof headers === "object" && headers !== null && !Array.isArray(headers) ? (headers as Record<string, unknown>) : null,
        ...common,
      };
    }
    case "message_ready": {
      const msgId = msgIdOf(fields["msg_id"]);
      if (!msgId) return undefined;
      return { eventType: "message_ready", msgId, truncated: fields["truncated"] === true, ...common };
    }
    case "batch_ready": {
      const raw = fields["msg_ids"];
      if (!Array.isArray(raw)) return undefined;
      const msgIds = raw.map(msgIdOf);
      if (msgIds.length === 0 || msgIds.some((id) => id === undefined)) return undefined;
      const count = fields["message_count"];
      return {
        eventType: "batch_ready",
        msgIds: msgIds as MsgId[],
        messageCount: typeof count === "number" ? count : msgIds.length,
        truncated: fields["truncated"] === true,
        ...common,
      };
    }
    default:
      return undefined;
  }
}
