-- The dead-letter queue is an investigation tracker (tasks stay in tasker.tasks,
-- usually in error), fed by the staleness detector: a task stuck too long in a
-- waiting or in-flight state moves to error with one DLQ entry.

CREATE TABLE tasker.tasks_dlq (
  dlq_entry_uuid uuid PRIMARY KEY DEFAULT tasker.uuid_generate_v7(),
  task_uuid uuid NOT NULL REFERENCES tasker.tasks ON DELETE CASCADE,
  original_state varchar(50) NOT NULL,
  dlq_reason varchar(40) NOT NULL CHECK (dlq_reason IN (
    'staleness_timeout', 'max_retries_exceeded', 'dependency_cycle_detected', 'worker_unavailable', 'manual_dlq')),
  dlq_timestamp timestamptz NOT NULL DEFAULT clock_timestamp(),
  resolution_status varchar(30) NOT NULL DEFAULT 'pending' CHECK (resolution_status IN (
    'pending', 'manually_resolved', 'permanently_failed', 'cancelled')),
  resolution_timestamp timestamptz,
  resolution_notes text,
  resolved_by varchar(255),
  task_snapshot jsonb NOT NULL,
  metadata jsonb,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- One pending entry per task.
CREATE UNIQUE INDEX tasks_dlq_pending_idx ON tasker.tasks_dlq (task_uuid) WHERE resolution_status = 'pending';
CREATE INDEX tasks_dlq_status_idx ON tasker.tasks_dlq (resolution_status, dlq_timestamp);

-- Minutes a task may stay in a state before it is stale: the template's lifecycle
-- override, else the given default; states not watched get NULL.
CREATE FUNCTION tasker.staleness_threshold_minutes(
  p_state text, p_configuration jsonb, p_deps_minutes integer, p_retry_minutes integer, p_steps_minutes integer
)
RETURNS integer
LANGUAGE sql IMMUTABLE
AS $$
  SELECT CASE p_state
    WHEN 'waiting_for_dependencies'
      THEN coalesce((p_configuration #>> '{lifecycle,max_waiting_for_dependencies_minutes}')::int, p_deps_minutes)
    WHEN 'waiting_for_retry'
      THEN coalesce((p_configuration #>> '{lifecycle,max_waiting_for_retry_minutes}')::int, p_retry_minutes)
    WHEN 'steps_in_process'
      THEN coalesce((p_configuration #>> '{lifecycle,max_steps_in_process_minutes}')::int, p_steps_minutes)
  END
$$;

-- Finds stale tasks and (unless p_dry_run) moves each to error with a DLQ entry, in
-- one transaction per call. A task is stale when it has been in a watched state for
-- at least its threshold, or is older than p_max_lifetime_hours while in one.
CREATE FUNCTION tasker.detect_stale_tasks(
  p_dry_run boolean, p_batch_size integer, p_deps_minutes integer, p_retry_minutes integer,
  p_steps_minutes integer, p_max_lifetime_hours integer, p_processor_uuid uuid
)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
  v_out jsonb := '[]';
  v_moved boolean;
  v_entry uuid;
  v_now timestamptz := clock_timestamp();
BEGIN
  FOR r IN
    SELECT t.task_uuid, t.state, t.correlation_id, t.priority, t.requested_at, t.created_at,
           ns.name AS namespace, nt.name AS task_name,
           extract(epoch FROM v_now - t.state_entered_at) / 60 AS minutes_in_state,
           tasker.staleness_threshold_minutes(t.state, nt.configuration, p_deps_minutes, p_retry_minutes,
                                              p_steps_minutes) AS threshold
      FROM tasker.tasks t
      JOIN tasker.named_tasks nt USING (named_task_uuid)
      JOIN tasker.task_namespaces ns USING (task_namespace_uuid)
     WHERE t.state IN ('waiting_for_dependencies', 'waiting_for_retry', 'steps_in_process')
       AND (v_now - t.state_entered_at >= make_interval(mins =>
              tasker.staleness_threshold_minutes(t.state, nt.configuration, p_deps_minutes, p_retry_minutes,
                                                 p_steps_minutes))
            OR v_now - t.created_at >= make_interval(hours => p_max_lifetime_hours))
       AND NOT EXISTS (SELECT 1 FROM tasker.tasks_dlq d
                        WHERE d.task_uuid = t.task_uuid AND d.resolution_status = 'pending')
     ORDER BY t.state_entered_at
     LIMIT p_batch_size
       FOR NO KEY UPDATE OF t SKIP LOCKED
  LOOP
    v_moved := false;
    v_entry := NULL;
    IF NOT p_dry_run THEN
      INSERT INTO tasker.tasks_dlq (task_uuid, original_state, dlq_reason, task_snapshot, metadata)
      VALUES (r.task_uuid, r.state, 'staleness_timeout',
              jsonb_build_object('task_uuid', r.task_uuid, 'namespace', r.namespace, 'task_name', r.task_name,
                                 'current_state', r.state, 'time_in_state_minutes', round(r.minutes_in_state, 2),
                                 'threshold_minutes', r.threshold, 'snapshot_timestamp', v_now,
                                 'task_details', jsonb_build_object('correlation_id', r.correlation_id,
                                   'priority', r.priority, 'requested_at', r.requested_at, 'created_at', r.created_at)),
              jsonb_build_object('detection_method', 'automatic_staleness',
                                 'time_in_state_minutes', round(r.minutes_in_state, 2),
                                 'threshold_minutes', r.threshold))
      ON CONFLICT DO NOTHING
      RETURNING dlq_entry_uuid INTO v_entry;
      v_moved := tasker.transition_task_state(r.task_uuid, ARRAY[r.state], 'error', 'staleness_timeout',
        p_processor_uuid, jsonb_build_object('reason', 'staleness_timeout', 'namespace', r.namespace,
                                             'task_name', r.task_name, 'detected_at', v_now)) IS NOT NULL;
    END IF;
    v_out := v_out || jsonb_build_array(jsonb_build_object(
      'task_uuid', r.task_uuid, 'namespace', r.namespace, 'task_name', r.task_name, 'state', r.state,
      'correlation_id', r.correlation_id, 'minutes_in_state', round(r.minutes_in_state, 2),
      'threshold_minutes', r.threshold, 'dlq_entry_uuid', v_entry, 'moved_to_error', v_moved,
      'dry_run', p_dry_run));
  END LOOP;
  RETURN v_out;
END
$$;
