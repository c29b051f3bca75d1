import type { BatchObservableResult } from "@opentelemetry/api";
import type { Sql } from "postgres";
import { toError } from "../lib/errors.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { Telemetry } from "../telemetry/telemetry.ts";
import type { QueueClient } from "./queueClient.ts";

export interface QueueTableHealth {
  queue_name: string;
  /** Messages in the queue (visible or not). */
  depth: number;
  oldest_message_age_seconds: number | null;
  /** Dead tuples in pgmq.q_<name>: every archived message leaves one until vacuum. */
  dead_tuples: number;
  live_tuples: number;
  last_autovacuum: string | null;
  last_vacuum: string | null;
}

export interface OldestTransaction {
  pid: number;
  application_name: string;
  state: string | null;
  /** How long the transaction has been open. */
  age_seconds: number;
  /** Transactions since its snapshot (age of backend_xmin). */
  xmin_age: number;
}

export interface QueueHealthDetail {
  queues: QueueTableHealth[];
  /** The open transaction holding back cleanup of dead tuples the longest, if any. */
  oldest_transaction: OldestTransaction | null;
}

export interface QueueHealthProvider {
  /** For `/health/detailed`: per-queue depth and bloat, and the oldest snapshot holding it back. */
  detail(): Promise<QueueHealthDetail>;
}

/**
 * Queue bloat, read from pgmq's metrics and PostgreSQL's statistics views: a queue whose
 * dead tuples grow while autovacuum is held back by an old snapshot (`backend_xmin`)
 * slows down before it fails, and this shows it first.
 */
export function createQueueHealthProvider(sql: Sql, queues: QueueClient): QueueHealthProvider {
  return {
    async detail() {
      const [metrics, tables, oldest] = await Promise.all([
        queues.metricsAll(),
        sql<{ relname: string; n_dead_tup: number; n_live_tup: number; last_autovacuum: Date | null; last_vacuum: Date | null }[]>`
          SELECT relname, n_dead_tup::int AS n_dead_tup, n_live_tup::int AS n_live_tup, last_autovacuum, last_vacuum
            FROM pg_catalog.pg_stat_user_tables
           WHERE schemaname = 'pgmq' AND relname LIKE 'q\\_%'`,
        sql<OldestTransaction[]>`
          SELECT pid, coalesce(application_name, '') AS application_name, state,
                 coalesce(extract(epoch FROM clock_timestamp() - xact_start), 0)::float8 AS age_seconds,
                 age(backend_xmin)::int AS xmin_age
            FROM pg_catalog.pg_stat_activity
           WHERE backend_xmin IS NOT NULL AND pid <> pg_backend_pid()
           ORDER BY age(backend_xmin) DESC
           LIMIT 1`,
      ]);
      const byTable = new Map(tables.map((t) => [t.relname, t]));
      return {
        queues: metrics.map((m) => {
          const table = byTable.get(`q_${m.queueName}`);
          return {
            queue_name: m.queueName,
            depth: m.queueLength,
            oldest_message_age_seconds: m.oldestMessageAgeSeconds,
            dead_tuples: table?.n_dead_tup ?? 0,
            live_tuples: table?.n_live_tup ?? 0,
            last_autovacuum: table?.last_autovacuum?.toISOString() ?? null,
            last_vacuum: table?.last_vacuum?.toISOString() ?? null,
          };
        }),
        oldest_transaction: oldest[0] ?? null,
      };
    },
  };
}

/**
 * Queue gauges, read when metrics are collected: `tasker_queue_depth`,
 * `tasker_queue_oldest_message_age_seconds`, `tasker_queue_dead_tuples`,
 * `tasker_queue_seconds_since_autovacuum` (per queue) and `tasker_db_oldest_xmin_age_seconds`.
 * Returns the unregister function.
 */
export function registerQueueGauges(provider: QueueHealthProvider, telemetry: Telemetry, logger: Logger): () => void {
  const m = telemetry.metrics;
  const instruments = [m.queueDepth, m.queueOldestMessageAge, m.queueDeadTuples, m.queueSecondsSinceAutovacuum, m.oldestTransactionAge];
  const observe = async (result: BatchObservableResult): Promise<void> => {
    try {
      const detail = await provider.detail();
      const now = Date.now();
      for (const q of detail.queues) {
        const attributes = { queue: q.queue_name };
        result.observe(m.queueDepth, q.depth, attributes);
        result.observe(m.queueOldestMessageAge, q.oldest_message_age_seconds ?? 0, attributes);
        result.observe(m.queueDeadTuples, q.dead_tuples, attributes);
        const vacuumed = [q.last_autovacuum, q.last_vacuum].filter((t): t is string => t !== null).map((t) => Date.parse(t));
        if (vacuumed.length > 0) result.observe(m.queueSecondsSinceAutovacuum, (now - Math.max(...vacuumed)) / 1000, attributes);
      }
      result.observe(m.oldestTransactionAge, detail.oldest_transaction?.age_seconds ?? 0);
    } catch (error) {
      logger.debug("queue gauges could not be read", { error: toError(error).message });
    }
  };
  telemetry.meter.addBatchObservableCallback(observe, instruments);
  return () => telemetry.meter.removeBatchObservableCallback(observe, instruments);
}
