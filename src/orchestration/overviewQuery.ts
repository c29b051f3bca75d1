import type { Sql } from "postgres";

export interface ProcessOnline {
  process_uuid: string;
  role: string;
  namespaces: string[];
  hostname: string;
  pid: number;
  version: string;
  started_at: string;
  heartbeat_at: string;
}

export interface Overview {
  /** Every task state with at least one task. */
  task_counts: Array<{ state: string; count: number }>;
  /** Processes that heart-beat within the last `aliveSeconds` and did not stop. */
  processes: ProcessOnline[];
  /** Steps that reached `complete` per minute, oldest first, one entry per minute of the window (zeros included). */
  completed_per_minute: Array<{ minute: string; count: number }>;
}

/**
 * The lowest UUID v7 of an instant: history rows have v7 keys, so a primary-key range scan
 * finds the rows of the last hour without an index on their time.
 */
export function uuidV7LowerBound(at: Date): string {
  const hex = at.getTime().toString(16).padStart(12, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`;
}

/** What the dashboard's overview shows: task counts by state, live processes, completions per minute. */
export async function loadOverview(sql: Sql, options: { minutes: number; aliveSeconds: number }): Promise<Overview> {
  const now = Date.now();
  const windowStart = new Date(Math.floor(now / 60_000) * 60_000 - (options.minutes - 1) * 60_000);
  const [counts, processes, perMinute] = await Promise.all([
    sql<Array<{ state: string; count: number }>>`
      SELECT state, count(*)::int AS count FROM tasker.tasks GROUP BY state ORDER BY state`,
    sql<ProcessOnline[]>`
      SELECT process_uuid::text, role, namespaces, hostname, pid, version,
             to_json(started_at) #>> '{}' AS started_at, to_json(heartbeat_at) #>> '{}' AS heartbeat_at
        FROM tasker.processes
       WHERE stopped_at IS NULL AND heartbeat_at > clock_timestamp() - make_interval(secs => ${options.aliveSeconds}::int)
       ORDER BY role, started_at`,
    sql<Array<{ minute: Date; count: number }>>`
      SELECT date_trunc('minute', created_at) AS minute, count(*)::int AS count
        FROM tasker.workflow_step_transitions
       WHERE workflow_step_transition_uuid >= ${uuidV7LowerBound(windowStart)}::uuid
         AND created_at >= ${windowStart}
         AND to_state = 'complete'
       GROUP BY 1`,
  ]);
  const byMinute = new Map(perMinute.map((r) => [r.minute.getTime(), r.count]));
  const completed_per_minute = Array.from({ length: options.minutes }, (_, i) => {
    const minute = windowStart.getTime() + i * 60_000;
    return { minute: new Date(minute).toISOString(), count: byMinute.get(minute) ?? 0 };
  });
  return { task_counts: [...counts], processes: [...processes], completed_per_minute };
}
