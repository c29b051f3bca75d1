import type { Sql } from "postgres";

/** tasker-core serializes DLQ enums in PascalCase (`StalenessTimeout`, `Pending`); the database keeps snake_case. */
export function toPascal(value: string): string {
  return value
    .split("_")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

export function fromPascal(value: string): string {
  return value.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

export const DLQ_RESOLUTION_STATUSES = ["pending", "manually_resolved", "permanently_failed", "cancelled"] as const;

export interface DlqEntry {
  dlq_entry_uuid: string;
  task_uuid: string;
  original_state: string;
  dlq_reason: string;
  dlq_timestamp: string;
  resolution_status: string;
  resolution_timestamp: string | null;
  resolution_notes: string | null;
  resolved_by: string | null;
  task_snapshot: Record<string, unknown>;
  metadata: Record<string, unknown> | null;
  created_at: string;
  updated_at: string;
}

export interface DlqStatsRow {
  dlq_reason: string;
  total_entries: number;
  pending: number;
  manually_resolved: number;
  permanent_failures: number;
  cancelled: number;
  oldest_entry: string | null;
  newest_entry: string | null;
  avg_resolution_time_minutes: number | null;
}

export interface DlqPatch {
  resolution_status?: string;
  resolution_notes?: string;
  resolved_by?: string;
  metadata?: Record<string, unknown>;
}

const present = (entry: DlqEntry): DlqEntry => ({
  ...entry,
  dlq_reason: toPascal(entry.dlq_reason),
  resolution_status: toPascal(entry.resolution_status),
});

/** tasker-core's staleness defaults (minutes); the detector uses the configured ones. */
const DEFAULT_THRESHOLDS = { depsMinutes: 60, retryMinutes: 30, stepsMinutes: 30 };

/** The DLQ investigation tracker (tasker.tasks_dlq), in the API's shapes. */
export function createDlqRepository(sql: Sql) {
  return {
    async list(filter: { resolutionStatus?: string; limit: number; offset: number }): Promise<DlqEntry[]> {
      const status = filter.resolutionStatus ? fromPascal(filter.resolutionStatus) : null;
      const rows = await sql<DlqEntry[]>`
        SELECT * FROM tasker.tasks_dlq
         WHERE ${status}::text IS NULL OR resolution_status = ${status}::text
         ORDER BY dlq_timestamp DESC
         LIMIT ${filter.limit}::int OFFSET ${filter.offset}::int`;
      return rows.map(present);
    },

    async findForTask(taskUuid: string): Promise<DlqEntry | undefined> {
      const [row] = await sql<DlqEntry[]>`
        SELECT * FROM tasker.tasks_dlq WHERE task_uuid = ${taskUuid}::uuid ORDER BY dlq_timestamp DESC LIMIT 1`;
      return row ? present(row) : undefined;
    },

    /** false when the entry does not exist. The status may be given in either spelling. */
    async update(entryUuid: string, patch: DlqPatch): Promise<boolean> {
      const status = patch.resolution_status ? fromPascal(patch.resolution_status) : null;
      const rows = await sql`
        UPDATE tasker.tasks_dlq
           SET resolution_status = coalesce(${status}::text, resolution_status),
               resolution_notes = coalesce(${patch.resolution_notes ?? null}::text, resolution_notes),
               resolved_by = coalesce(${patch.resolved_by ?? null}::text, resolved_by),
               metadata = CASE WHEN ${patch.metadata ? sql.json(patch.metadata as never) : null}::jsonb IS NULL THEN metadata
                               ELSE coalesce(metadata, '{}') || ${patch.metadata ? sql.json(patch.metadata as never) : null}::jsonb END,
               resolution_timestamp = CASE WHEN ${status}::text IS NOT NULL AND ${status}::text <> 'pending'
                                           THEN clock_timestamp() ELSE resolution_timestamp END,
               updated_at = clock_timestamp()
         WHERE dlq_entry_uuid = ${entryUuid}::uuid
        RETURNING 1`;
      return rows.length > 0;
    },

    async stats(): Promise<DlqStatsRow[]> {
      const rows = await sql<DlqStatsRow[]>`
        SELECT dlq_reason,
               count(*)::int AS total_entries,
               count(*) FILTER (WHERE resolution_status = 'pending')::int AS pending,
               count(*) FILTER (WHERE resolution_status = 'manually_resolved')::int AS manually_resolved,
               count(*) FILTER (WHERE resolution_status = 'permanently_failed')::int AS permanent_failures,
               count(*) FILTER (WHERE resolution_status = 'cancelled')::int AS cancelled,
               min(dlq_timestamp) AS oldest_entry, max(dlq_timestamp) AS newest_entry,
               round(avg(extract(epoch FROM coalesce(resolution_timestamp, clock_timestamp()) - dlq_timestamp) / 60), 2)::float8
                 AS avg_resolution_time_minutes
          FROM tasker.tasks_dlq GROUP BY dlq_reason ORDER BY dlq_reason`;
      return rows.map((r) => ({ ...r, dlq_reason: toPascal(r.dlq_reason) }));
    },

    /** Pending entries, most urgent first (tasker-core's v_dlq_investigation_queue). */
    async investigationQueue(limit: number): Promise<unknown[]> {
      const rows = await sql`
        SELECT d.dlq_entry_uuid, d.task_uuid, d.original_state, d.dlq_reason, d.dlq_timestamp,
               round(extract(epoch FROM clock_timestamp() - d.dlq_timestamp) / 60, 2)::float8 AS minutes_in_dlq,
               d.task_snapshot ->> 'namespace' AS namespace_name, d.task_snapshot ->> 'task_name' AS task_name,
               d.task_snapshot ->> 'current_state' AS current_state,
               (d.metadata ->> 'time_in_state_minutes')::float8 AS time_in_state_minutes,
               (CASE d.dlq_reason WHEN 'dependency_cycle_detected' THEN 1000 WHEN 'max_retries_exceeded' THEN 500
                                  WHEN 'staleness_timeout' THEN 100 WHEN 'worker_unavailable' THEN 50 ELSE 10 END
                + extract(epoch FROM clock_timestamp() - d.dlq_timestamp) / 60)::float8 AS priority_score
          FROM tasker.tasks_dlq d
         WHERE d.resolution_status = 'pending'
         ORDER BY priority_score DESC
         LIMIT ${limit}::int`;
      return [...rows];
    },

    /** Unfinished tasks in watched states with their staleness health (stale, warning, healthy). */
    async staleness(
      limit: number,
      thresholds: { depsMinutes: number; retryMinutes: number; stepsMinutes: number } = DEFAULT_THRESHOLDS,
    ): Promise<unknown[]> {
      const rows = await sql`
        SELECT * FROM (
          SELECT t.task_uuid, t.correlation_id, ns.name AS namespace_name, nt.name AS task_name, t.state AS current_state,
                 t.state_entered_at,
                 round(extract(epoch FROM clock_timestamp() - t.state_entered_at) / 60, 2)::float8 AS time_in_state_minutes,
                 round(extract(epoch FROM clock_timestamp() - t.created_at) / 60, 2)::float8 AS task_age_minutes,
                 tasker.staleness_threshold_minutes(t.state, nt.configuration, ${thresholds.depsMinutes}::int,
                   ${thresholds.retryMinutes}::int, ${thresholds.stepsMinutes}::int) AS staleness_threshold_minutes
            FROM tasker.tasks t
            JOIN tasker.named_tasks nt USING (named_task_uuid)
            JOIN tasker.task_namespaces ns USING (task_namespace_uuid)
           WHERE t.state IN ('waiting_for_dependencies', 'waiting_for_retry', 'steps_in_process')) s
         CROSS JOIN LATERAL (SELECT CASE
             WHEN s.time_in_state_minutes >= s.staleness_threshold_minutes THEN 'stale'
             WHEN s.time_in_state_minutes >= 0.8 * s.staleness_threshold_minutes THEN 'warning'
             ELSE 'healthy' END AS health_status) h
         ORDER BY CASE h.health_status WHEN 'stale' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, s.time_in_state_minutes DESC
         LIMIT ${limit}::int`;
      return [...rows];
    },
  };
}

export type DlqRepository = ReturnType<typeof createDlqRepository>;
