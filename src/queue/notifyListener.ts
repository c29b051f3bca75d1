/**
 * One dedicated LISTEN connection per process (its own postgres.js instance with a
 * single connection, no idle timeout and no max lifetime), shared by every
 * subscriber.
 *
 * postgres.js's own `sql.listen` re-listens once, immediately, when its connection
 * closes, and silently forgets the channel if that attempt fails (for instance while
 * the server restarts). This listener instead owns reconnection: when the connection
 * closes it retries with exponential backoff (with jitter) until a connection is
 * open again and every subscribed channel is LISTENed on it, then calls
 * `onReconnect`. Notifications sent while disconnected are lost (pg_notify is not
 * durable), so `onReconnect` is where callers run a catch-up poll.
 */
import postgres, { type Sql } from "postgres";
import { TaskerError, toError } from "../lib/errors.ts";
import { backoffMs, delay } from "../lib/time.ts";
import type { Logger } from "../telemetry/logger.ts";
import { assertChannelName } from "./queueNames.ts";
import { parseQueueNotification, type QueueNotification } from "./queueNotification.ts";

export const DEFAULT_LISTENER_APPLICATION_NAME = "tasker-notify-listener";

export interface NotifyListenerOptions {
  url: string;
  logger: Logger;
  reconnect: { baseMs: number; maxMs: number };
  /** Shown in pg_stat_activity.application_name. */
  applicationName?: string;
  connectTimeoutSeconds?: number;
  /** After the connection was lost and every channel is LISTENed again. Errors are logged. */
  onReconnect?: () => void | Promise<void>;
}

export type NotificationHandler = (notification: QueueNotification, channel: string) => void | Promise<void>;

/** Stops delivering to this handler; UNLISTENs when it was the channel's last one. */
export type Unsubscribe = () => Promise<void>;

export interface NotifyListener {
  /** Resolves once the channel is LISTENed on a live connection (waits through reconnects). */
  subscribe(channel: string, handler: NotificationHandler): Promise<Unsubscribe>;
  /** A connection is open and every subscribed channel is LISTENed on it. */
  isConnected(): boolean;
  close(): Promise<void>;
}

function closedError(): TaskerError {
  return new TaskerError("LISTENER_CLOSED", "the notify listener is closed");
}

/** Channel names are validated against ^[a-z_][a-z0-9_.]*$, so quoting cannot be escaped. */
function quoted(channel: string): string {
  return `"${assertChannelName(channel)}"`;
}

export function createNotifyListener(options: NotifyListenerOptions): NotifyListener {
  const { logger } = options;
  const handlers = new Map<string, Set<NotificationHandler>>();
  /** Channels LISTENed on the current connection. */
  const listening = new Set<string>();
  const stop = new AbortController();
  let generation = 0;
  let open = false;
  let closed = false;
  let reconnecting: Promise<void> | undefined;
  let chain: Promise<unknown> = Promise.resolve();

  const invoke = (handler: NotificationHandler, notification: QueueNotification, channel: string): void => {
    const fail = (error: unknown): void =>
      logger.error("notification handler failed", { channel, queue_name: notification.queueName, error: toError(error) });
    try {
      const result = handler(notification, channel);
      if (result instanceof Promise) result.catch(fail);
    } catch (error) {
      fail(error);
    }
  };

  const dispatch = (channel: string, payload: string): void => {
    const subscribers = handlers.get(channel);
    if (!subscribers || subscribers.size === 0) return;
    const notification = parseQueueNotification(payload);
    if (!notification) {
      logger.warn("dropped a malformed notification", { channel, payload: payload.slice(0, 200) });
      return;
    }
    for (const handler of [...subscribers]) invoke(handler, notification, channel);
  };

  // `onnotify` is the hook postgres.js's own sql.listen is built on; it is parsed at
  // runtime but missing from the published types (pinned version; covered by tests).
  const connectionOptions: postgres.Options<Record<string, never>> & {
    onnotify: (channel: string, payload: string) => void;
  } = {
    max: 1,
    max_lifetime: null,
    fetch_types: false,
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    connection: { application_name: options.applicationName ?? DEFAULT_LISTENER_APPLICATION_NAME },
    onnotice: (notice) => logger.debug("postgres notice", { notice: notice["message"] }),
    onnotify: dispatch,
    onclose: () => {
      if (closed) return;
      generation += 1;
      listening.clear();
      const wasOpen = open;
      open = false;
      if (wasOpen) logger.warn("notify listener connection lost", { channels: [...handlers.keys()] });
      if (handlers.size > 0) startReconnect();
    },
  };
  const sql: Sql = postgres(options.url, connectionOptions);

  /** Makes the server's LISTEN set equal the subscribed channels; one run at a time. */
  const sync = (): Promise<void> => {
    const run = async (): Promise<void> => {
      const gen = generation;
      for (const channel of [...handlers.keys()]) {
        if (listening.has(channel)) continue;
        await sql.unsafe(`LISTEN ${quoted(channel)}`);
        if (gen === generation) listening.add(channel);
      }
      for (const channel of [...listening]) {
        if (handlers.has(channel)) continue;
        await sql.unsafe(`UNLISTEN ${quoted(channel)}`);
        listening.delete(channel);
      }
      if (gen === generation) open = true;
    };
    const next = chain.then(run, run);
    chain = next.catch(() => undefined);
    return next;
  };

  const notifyReconnected = async (): Promise<void> => {
    try {
      await options.onReconnect?.();
    } catch (error) {
      logger.error("onReconnect callback failed", { error: toError(error) });
    }
  };

  /** true once reconnected; false when closed first. */
  const reconnectLoop = async (): Promise<boolean> => {
    for (let attempt = 1; !closed; attempt += 1) {
      const waitMs = backoffMs(attempt, options.reconnect.baseMs, options.reconnect.maxMs);
      try {
        await delay(waitMs, stop.signal);
      } catch {
        return false;
      }
      const gen = generation;
      try {
        await sql`SELECT 1`;
        await sync();
      } catch (error) {
        logger.warn("notify listener reconnect failed", { attempt, error: toError(error) });
        continue;
      }
      // Lost again while re-listening: the new connection misses channels.
      if (closed || gen !== generation || !open) continue;
      logger.info("notify listener reconnected", { attempt, channels: [...listening] });
      return true;
    }
    return false;
  };

  function startReconnect(): void {
    if (reconnecting || closed) return;
    reconnecting = (async () => {
      const reconnected = await reconnectLoop();
      reconnecting = undefined;
      if (reconnected && !closed) await notifyReconnected();
    })();
  }

  const ensureListening = async (channel: string): Promise<void> => {
    while (!listening.has(channel)) {
      if (closed) throw closedError();
      if (!handlers.has(channel)) return;
      if (reconnecting) {
        await reconnecting;
        continue;
      }
      try {
        await sync();
      } catch (error) {
        if (closed) throw closedError();
        logger.warn("LISTEN failed; reconnecting", { channel, error: toError(error) });
        startReconnect();
      }
    }
  };

  return {
    async subscribe(channel: string, handler: NotificationHandler): Promise<Unsubscribe> {
      assertChannelName(channel);
      if (closed) throw closedError();
      let subscribers = handlers.get(channel);
      if (!subscribers) {
        subscribers = new Set();
        handlers.set(channel, subscribers);
      }
      const mine = subscribers;
      mine.add(handler);
      await ensureListening(channel);
      return async () => {
        mine.delete(handler);
        if (mine.size > 0 || handlers.get(channel) !== mine) return;
        handlers.delete(channel);
        if (!open || closed) return;
        await sync().catch((error: unknown) => logger.warn("UNLISTEN failed", { channel, error: toError(error) }));
      };
    },

    isConnected(): boolean {
      return open && !closed && [...handlers.keys()].every((channel) => listening.has(channel));
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      open = false;
      stop.abort(closedError());
      handlers.clear();
      listening.clear();
      await sql.end({ timeout: 1 });
      await reconnecting;
    },
  };
}
