import type { Sql } from "postgres";

export interface PerformanceMetrics {
  total_tasks: number;
  active_tasks: number;
  completed_tasks: number;
  failed_tasks: number;
  completion_rate: number;
  error_rate: number;
  average_task_duration_seconds: number;
  average_step_duration_seconds: number;
  tasks_per_hour: number;
  steps_per_hour: number;
  system_health_score: number;
  analysis_period_start: string;
  calculated_at: string;
}

/** Task and step throughput, outcomes and durations over the last `hours`. */
export async function performanceMetrics(sql: Sql, hours: number): Promise<PerformanceMetrics> {
  const [row] = await sql<{ metrics: PerformanceMetrics }[]>`
    WITH since AS (SELECT clock_timestamp() - make_interval(hours => ${hours}::int) AS at),
    t AS (
      SELECT count(*)::int AS total,
             count(*) FILTER (WHERE state NOT IN ('complete', 'error', 'cancelled', 'resolved_manually'))::int AS active,
             count(*) FILTER (WHERE state = 'complete')::int AS completed,
             count(*) FILTER (WHERE state IN ('error', 'blocked_by_failures'))::int AS failed,
             avg(extract(epoch FROM completed_at - created_at)) FILTER (WHERE state = 'complete') AS avg_duration
        FROM tasker.tasks, since WHERE created_at >= since.at),
    s AS (
      SELECT count(*)::int AS executions, avg(execution_time_ms) / 1000.0 AS avg_seconds
        FROM tasker.workflow_step_result_audit, since WHERE recorded_at >= since.at)
    SELECT jsonb_build_object(
             'total_tasks', t.total, 'active_tasks', t.active, 'completed_tasks', t.completed, 'failed_tasks', t.failed,
             'completion_rate', CASE WHEN t.total = 0 THEN 0 ELSE round(t.completed::numeric / t.total, 4) END,
             'error_rate', CASE WHEN t.total = 0 THEN 0 ELSE round(t.failed::numeric / t.total, 4) END,
             'average_task_duration_seconds', round(coalesce(t.avg_duration, 0)::numeric, 3),
             'average_step_duration_seconds', round(coalesce(s.avg_seconds, 0)::numeric, 3),
             'tasks_per_hour', round(t.total::numeric / ${hours}::int, 3),
             'steps_per_hour', round(s.executions::numeric / ${hours}::int, 3),
             'system_health_score', CASE WHEN t.total = 0 THEN 1 ELSE round(1 - t.failed::numeric / t.total, 4) END,
             'analysis_period_start', since.at, 'calculated_at', clock_timestamp()) AS metrics
      FROM t, s, since`;
  return row!.metrics;
}

export interface Bottlenecks {
  slow_steps: Array<Record<string, unknown> & { average_duration_seconds: number; error_rate: number }>;
  slow_tasks: Array<Record<string, unknown>>;
  resource_utilization: { database_pool_utilization: number; system_health: Record<string, number> };
  recommendations: string[];
}

/** The slowest steps and templates (with at least `minExecutions` runs), task counts by state, and advice. */
export async function bottlenecks(sql: Sql, limit: number, minExecutions: number): Promise<Bottlenecks> {
  const slowSteps = await sql<Bottlenecks["slow_steps"]>`
    SELECT ns.name AS namespace_name, nt.name AS task_name, nt.version, st.name AS step_name,
           count(*)::int AS execution_count,
           round(avg(a.execution_time_ms) / 1000.0, 3)::float8 AS average_duration_seconds,
           round(max(a.execution_time_ms) / 1000.0, 3)::float8 AS max_duration_seconds,
           count(*) FILTER (WHERE NOT a.success)::int AS error_count,
           round(count(*) FILTER (WHERE NOT a.success)::numeric / count(*), 4)::float8 AS error_rate
      FROM tasker.workflow_step_result_audit a
      JOIN tasker.workflow_steps s ON s.workflow_step_uuid = a.workflow_step_uuid
      JOIN tasker.named_steps st ON st.named_step_uuid = s.named_step_uuid
      JOIN tasker.tasks t ON t.task_uuid = a.task_uuid
      JOIN tasker.named_tasks nt ON nt.named_task_uuid = t.named_task_uuid
      JOIN tasker.task_namespaces ns ON ns.task_namespace_uuid = nt.task_namespace_uuid
     GROUP BY ns.name, nt.name, nt.version, st.name
    HAVING count(*) >= ${minExecutions}::int
     ORDER BY avg(a.execution_time_ms) DESC NULLS LAST
     LIMIT ${limit}::int`;
  const slowTasks = await sql<Bottlenecks["slow_tasks"]>`
    SELECT ns.name AS namespace_name, nt.name AS task_name, nt.version, count(*)::int AS task_count,
           round(avg(extract(epoch FROM coalesce(t.completed_at, clock_timestamp()) - t.created_at))::numeric, 3)::float8
             AS average_duration_seconds,
           round(max(extract(epoch FROM coalesce(t.completed_at, clock_timestamp()) - t.created_at))::numeric, 3)::float8
             AS max_duration_seconds,
           count(*) FILTER (WHERE t.state IN ('error', 'blocked_by_failures'))::int AS error_count
      FROM tasker.tasks t
      JOIN tasker.named_tasks nt USING (named_task_uuid)
      JOIN tasker.task_namespaces ns USING (task_namespace_uuid)
     GROUP BY ns.name, nt.name, nt.version
    HAVING count(*) >= ${minExecutions}::int
     ORDER BY 5 DESC
     LIMIT ${limit}::int`;
  const [health] = await sql<{ counts: Record<string, number>; pool: number }[]>`
    SELECT (SELECT coalesce(jsonb_object_agg(state, n), '{}'::jsonb)
              FROM (SELECT state, count(*)::int AS n FROM tasker.tasks GROUP BY state) x) AS counts,
           (SELECT round(count(*)::numeric / current_setting('max_connections')::int, 4)::float8
              FROM pg_stat_activity WHERE datname = current_database()) AS pool`;
  const counts = health!.counts;
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const failed = (counts["error"] ?? 0) + (counts["blocked_by_failures"] ?? 0);
  const recommendations: string[] = [];
  if (total > 0 && failed / total > 0.2) {
    recommendations.push(`${Math.round((failed / total) * 100)}% of tasks failed or are blocked: inspect /v1/dlq and the failing steps`);
  }
  if (health!.pool > 0.8) recommendations.push("database connections are above 80% of max_connections: raise the limit or lower pool sizes");
  const slowest = slowSteps[0];
  if (slowest && slowest.average_duration_seconds > 30) {
    recommendations.push(`step ${String(slowest["step_name"])} averages ${slowest.average_duration_seconds} s: consider splitting it or raising its concurrency`);
  }
  return {
    slow_steps: [...slowSteps],
    slow_tasks: [...slowTasks],
    resource_utilization: { database_pool_utilization: health!.pool, system_health: counts },
    recommendations,
  };
}
