-- Safety nets: the readiness poller's candidate query, the step reaper (expired
-- leases and lost workers), the reconciler (completion notices that never
-- arrived), and process heartbeats that both are judged against.

-- Registers a process or refreshes its heartbeat.
CREATE FUNCTION tasker.heartbeat_process(
  p_process_uuid uuid, p_role text, p_namespaces text[], p_hostname text, p_pid integer, p_version text
)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  INSERT INTO tasker.processes (process_uuid, role, namespaces, hostname, pid, version)
  VALUES (p_process_uuid, p_role, p_namespaces, p_hostname, p_pid, p_version)
  ON CONFLICT (process_uuid) DO UPDATE
    SET heartbeat_at = clock_timestamp(), namespaces = EXCLUDED.namespaces, stopped_at = NULL
$$;

CREATE FUNCTION tasker.stop_process(p_process_uuid uuid)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  UPDATE tasker.processes SET stopped_at = clock_timestamp() WHERE process_uuid = p_process_uuid
$$;

-- Whether a process is gone: never registered, stopped, or silent for too long.
CREATE FUNCTION tasker.process_is_dead(p_process_uuid uuid, p_dead_after_seconds integer)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
  SELECT NOT EXISTS (
    SELECT 1 FROM tasker.processes p
     WHERE p.process_uuid = p_process_uuid
       AND p.stopped_at IS NULL
       AND p.heartbeat_at > clock_timestamp() - make_interval(secs => p_dead_after_seconds))
$$;

-- Tasks the readiness poller should evaluate: started-but-never-evaluated tasks,
-- and unfinished, unblocked tasks with a step that is ready now (a retry whose
-- time has come, or a notification that was lost). Highest computed priority
-- first: priority plus 0.1 per hour of age in the first hour in a state, then
-- decaying with a 12-hour half-life, 0.1 after a day (tasker-core 3.6).
CREATE FUNCTION tasker.next_ready_tasks(p_limit integer)
RETURNS TABLE (task_uuid uuid, state text, priority integer, computed_priority numeric)
LANGUAGE sql STABLE
AS $$
  WITH candidates AS (
    SELECT t.task_uuid FROM tasker.tasks t WHERE t.state = 'pending'
    UNION
    SELECT s.task_uuid
      FROM tasker.workflow_steps s
     WHERE s.state = 'waiting_for_retry' AND s.remaining_dependencies = 0
       AND s.next_retry_at <= clock_timestamp()
    UNION
    SELECT s.task_uuid
      FROM tasker.workflow_steps s
     WHERE s.state = 'pending' AND s.remaining_dependencies = 0
  )
  SELECT t.task_uuid, t.state, t.priority,
         CASE WHEN clock_timestamp() - t.state_entered_at < interval '1 hour'
                THEN t.priority + extract(epoch FROM clock_timestamp() - t.created_at) / 3600 * 0.1
              WHEN clock_timestamp() - t.state_entered_at < interval '24 hours'
                THEN t.priority * exp(-extract(epoch FROM clock_timestamp() - t.state_entered_at) / 43200)
              ELSE 0.1 END::numeric AS computed_priority
    FROM candidates c
    JOIN tasker.tasks t USING (task_uuid)
   WHERE t.state NOT IN ('complete', 'error', 'cancelled', 'resolved_manually', 'blocked_by_failures')
   ORDER BY computed_priority DESC, t.created_at
   LIMIT p_limit
$$;

-- Re-queues in_progress steps whose worker is gone or whose lease ran out, as a
-- failed attempt (retryable: error_type worker_lost or timeout), then processes
-- that failure like any other result. Returns one entry per repaired step.
CREATE FUNCTION tasker.reap_step_claims(p_processor_uuid uuid, p_dead_after_seconds integer, p_limit integer)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  s record;
  v_out jsonb := '[]';
  v_reason text;
  v_result jsonb;
BEGIN
  FOR s IN
    SELECT ws.workflow_step_uuid, ws.task_uuid, ws.claimed_by, ws.attempts, ws.lease_expires_at,
           ws.lease_expires_at < clock_timestamp() AS expired
      FROM tasker.workflow_steps ws
     WHERE ws.state = 'in_progress'
       AND (ws.lease_expires_at < clock_timestamp()
            OR ws.claimed_by IS NULL
            -- live processes are judged once (a hashed subplan), not once per step
            OR ws.claimed_by NOT IN (
                 SELECT p.process_uuid FROM tasker.processes p
                  WHERE p.stopped_at IS NULL
                    AND p.heartbeat_at > clock_timestamp() - make_interval(secs => p_dead_after_seconds)))
     ORDER BY ws.lease_expires_at
     LIMIT p_limit
  LOOP
    -- Task row first, then the step (the order every engine function uses), and check
    -- again under the locks: another orchestrator or the worker itself may have moved it.
    PERFORM 1 FROM tasker.tasks WHERE task_uuid = s.task_uuid FOR NO KEY UPDATE;
    PERFORM 1 FROM tasker.workflow_steps
      WHERE workflow_step_uuid = s.workflow_step_uuid AND state = 'in_progress'
        AND attempts = s.attempts AND claimed_by IS NOT DISTINCT FROM s.claimed_by
        FOR NO KEY UPDATE;
    IF NOT FOUND THEN
      CONTINUE;
    END IF;
    v_reason := CASE WHEN s.expired THEN 'timeout' ELSE 'worker_lost' END;
    PERFORM tasker.transition_step_state(s.workflow_step_uuid, ARRAY['in_progress'],
      'enqueued_as_error_for_orchestration', 'enqueue_as_error_for_orchestration',
      jsonb_build_object('reaped_by', p_processor_uuid, 'reason', v_reason, 'worker_uuid', s.claimed_by));
    UPDATE tasker.workflow_steps
       SET results = jsonb_build_object(
             'step_uuid', s.workflow_step_uuid, 'success', false, 'status', 'error', 'result', NULL,
             'error', jsonb_build_object(
               'message', CASE WHEN s.expired
                               THEN 'the attempt did not finish before its lease expired (timeout plus grace)'
                               ELSE 'the worker running this attempt stopped heart-beating' END,
               'error_type', v_reason, 'retryable', true),
             'metadata', jsonb_build_object('retryable', true, 'reaped', true, 'attempt', s.attempts,
                                            'worker_uuid', s.claimed_by))
     WHERE workflow_step_uuid = s.workflow_step_uuid;
    v_result := tasker.process_step_result(s.workflow_step_uuid, p_processor_uuid);
    v_out := v_out || jsonb_build_array(jsonb_build_object(
      'step_uuid', s.workflow_step_uuid, 'task_uuid', s.task_uuid, 'reason', v_reason,
      'worker_uuid', s.claimed_by, 'attempt', s.attempts, 'processed', v_result));
  END LOOP;
  RETURN v_out;
END
$$;

-- Processes results whose completion notice never reached an orchestrator
-- (steps awaiting orchestration for longer than p_older_than_seconds), for tasks
-- this process owns or whose owner is gone.
CREATE FUNCTION tasker.reconcile_step_results(
  p_processor_uuid uuid, p_older_than_seconds integer, p_dead_after_seconds integer, p_limit integer
)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  s record;
  v_out jsonb := '[]';
BEGIN
  FOR s IN
    SELECT ws.workflow_step_uuid, ws.task_uuid, ws.state
      FROM tasker.workflow_steps ws
      JOIN tasker.tasks t USING (task_uuid)
     WHERE ws.state IN ('enqueued_for_orchestration', 'enqueued_as_error_for_orchestration')
       AND ws.state_entered_at < clock_timestamp() - make_interval(secs => p_older_than_seconds)
       AND (t.owner_process_uuid IS NULL OR t.owner_process_uuid = p_processor_uuid
            OR tasker.process_is_dead(t.owner_process_uuid, p_dead_after_seconds))
     ORDER BY ws.state_entered_at
     LIMIT p_limit
  LOOP
    v_out := v_out || jsonb_build_array(jsonb_build_object(
      'step_uuid', s.workflow_step_uuid, 'task_uuid', s.task_uuid, 'state', s.state,
      'processed', tasker.process_step_result(s.workflow_step_uuid, p_processor_uuid)));
  END LOOP;
  RETURN v_out;
END
$$;
