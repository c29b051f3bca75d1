import * as v from "valibot";
import { queryInt, timestamp } from "./commonSchemas.ts";

export const PerformanceQuerySchema = v.object({ hours: queryInt(1, 24 * 90, 24, "Look-back window in hours") });

export const PerformanceMetricsSchema = v.object({
  total_tasks: v.number(),
  active_tasks: v.number(),
  completed_tasks: v.number(),
  failed_tasks: v.number(),
  completion_rate: v.number(),
  error_rate: v.number(),
  average_task_duration_seconds: v.number(),
  average_step_duration_seconds: v.number(),
  tasks_per_hour: v.number(),
  steps_per_hour: v.number(),
  system_health_score: v.number(),
  analysis_period_start: timestamp,
  calculated_at: timestamp,
});

export const BottleneckQuerySchema = v.object({
  limit: queryInt(1, 100, 10, "Rows per list"),
  min_executions: queryInt(1, 1_000_000, 5, "Minimum executions for a step or template to be listed"),
});

const durationStats = {
  namespace_name: v.string(),
  task_name: v.string(),
  version: v.string(),
  average_duration_seconds: v.number(),
  max_duration_seconds: v.number(),
};

export const BottlenecksSchema = v.object({
  slow_steps: v.array(
    v.object({ ...durationStats, step_name: v.string(), execution_count: v.number(), error_count: v.number(), error_rate: v.number() }),
  ),
  slow_tasks: v.array(v.object({ ...durationStats, task_count: v.number(), error_count: v.number() })),
  resource_utilization: v.object({
    database_pool_utilization: v.number(),
    system_health: v.record(v.string(), v.number()),
  }),
  recommendations: v.array(v.string()),
});
