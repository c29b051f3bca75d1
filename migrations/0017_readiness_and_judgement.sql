-- Readiness discovery that does not scan, and a fair judgement of silent processes.

-- Tasks the readiness poller should evaluate, bounded by its limit whatever the number of
-- tasks: each branch reads at most 4 * p_limit entries of its own index, newest first, then
-- looks each task up by key. Branches (all are safety nets: the step path enqueues, retries
-- and completes within its own transactions):
--   * tasks still `pending` (created but never evaluated);
--   * retries overdue by more than 5 s (their delayed message was lost or purged);
--   * pending steps whose dependencies were met more than 5 s ago (an evaluation was lost).
-- Newest first, so tasks that stay unrunnable on purpose (blocked by a failure) do not crowd
-- out a recent loss. Priority: priority plus 0.1 per hour of age in the first hour in a state,
-- then decaying with a 12-hour half-life, 0.1 after a day (tasker-core 3.6), ranked over the
-- bounded candidates only.
CREATE OR REPLACE FUNCTION tasker.next_ready_tasks(p_limit integer)
RETURNS TABLE (task_uuid uuid, state text, priority integer, computed_priority numeric)
LANGUAGE sql STABLE
AS $$
  WITH candidates AS (
    (SELECT t.task_uuid FROM tasker.tasks t
      WHERE t.state = 'pending'
      ORDER BY t.state_entered_at DESC LIMIT 4 * p_limit)
    UNION
    (SELECT s.task_uuid FROM tasker.workflow_steps s
      WHERE s.state = 'waiting_for_retry' AND s.next_retry_at <= now() - interval '5 seconds'
      ORDER BY s.next_retry_at DESC LIMIT 4 * p_limit)
    UNION
    (SELECT s.task_uuid FROM tasker.workflow_steps s
      WHERE s.state = 'pending' AND s.remaining_dependencies = 0
        AND s.state_entered_at <= now() - interval '5 seconds'
      ORDER BY s.state_entered_at DESC LIMIT 4 * p_limit)
  )
  SELECT t.task_uuid, t.state, t.priority,
         CASE WHEN now() - t.state_entered_at < interval '1 hour'
                THEN t.priority + extract(epoch FROM now() - t.created_at) / 3600 * 0.1
              WHEN now() - t.state_entered_at < interval '24 hours'
                THEN t.priority * exp(-extract(epoch FROM now() - t.state_entered_at) / 43200)
              ELSE 0.1 END::numeric AS computed_priority
    FROM candidates c
    JOIN tasker.tasks t ON t.task_uuid = c.task_uuid
   WHERE t.state NOT IN ('complete', 'error', 'cancelled', 'resolved_manually', 'blocked_by_failures')
   ORDER BY computed_priority DESC, t.created_at
   LIMIT p_limit
$$;

-- A process is gone when it has not heart-beaten for p_dead_after_seconds while it could
-- have: time before the database server started, or before the judge itself could reach
-- the database again (p_judge_since), does not count against it. A PostgreSQL restart or an
-- outage longer than the threshold therefore kills no lease by itself; the processes get one
-- threshold's time to heart-beat again.
CREATE FUNCTION tasker.live_processes(p_dead_after_seconds integer, p_judge_since timestamptz DEFAULT NULL)
RETURNS SETOF uuid
LANGUAGE sql STABLE
AS $$
  SELECT p.process_uuid FROM tasker.processes p
   WHERE p.stopped_at IS NULL
     AND greatest(p.heartbeat_at, pg_catalog.pg_postmaster_start_time(), p_judge_since)
         > pg_catalog.clock_timestamp() - make_interval(secs => p_dead_after_seconds)
$$;

CREATE OR REPLACE FUNCTION tasker.process_is_dead(p_process_uuid uuid, p_dead_after_seconds integer)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
  SELECT NOT EXISTS (
    SELECT 1 FROM tasker.processes p
     WHERE p.process_uuid = p_process_uuid
       AND p.stopped_at IS NULL
       AND greatest(p.heartbeat_at, pg_catalog.pg_postmaster_start_time())
           > pg_catalog.clock_timestamp() - make_interval(secs => p_dead_after_seconds))
$$;

-- reap_step_claims of 0010, judging workers with live_processes.
DROP FUNCTION tasker.reap_step_claims(uuid, integer, integer);
CREATE FUNCTION tasker.reap_step_claims(
  p_processor_uuid uuid, p_dead_after_seconds integer, p_limit integer, p_judge_since timestamptz DEFAULT NULL
)
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
            OR ws.claimed_by NOT IN (SELECT tasker.live_processes(p_dead_after_seconds, p_judge_since)))
     ORDER BY ws.lease_expires_at
     LIMIT p_limit
  LOOP
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

-- The durable net under complete_step's `finalize`: a worker that stops between committing a
-- task's last step and its finalize_tasks call leaves the task in steps_in_process with every
-- step finished. The recovery loop sweeps running tasks p_limit at a time in
-- (state_entered_at, task_uuid) order from a cursor it keeps, completes those with no open
-- step, and answers the evaluations and the cursor to continue from (NULL: wrap around).
-- Each call reads at most p_limit index entries and probes each task's steps once.
CREATE FUNCTION tasker.sweep_finished_tasks(
  p_processor_uuid uuid, p_after_entered timestamptz, p_after_task uuid, p_limit integer
)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
  v_seen integer := 0;
  v_last_entered timestamptz;
  v_last_task uuid;
  v_out jsonb := '[]';
BEGIN
  FOR r IN
    SELECT t.task_uuid, t.state_entered_at,
           NOT EXISTS (SELECT 1 FROM tasker.workflow_steps ws
                        WHERE ws.task_uuid = t.task_uuid AND ws.state NOT IN ('complete', 'resolved_manually')) AS finished
      FROM tasker.tasks t
     WHERE t.state = 'steps_in_process'
       AND (p_after_entered IS NULL OR (t.state_entered_at, t.task_uuid) > (p_after_entered, p_after_task))
       AND t.state_entered_at < now() - interval '5 seconds'
     ORDER BY t.state_entered_at, t.task_uuid
     LIMIT p_limit
  LOOP
    v_seen := v_seen + 1;
    v_last_entered := r.state_entered_at;
    v_last_task := r.task_uuid;
    IF r.finished THEN
      v_out := v_out || jsonb_build_array(tasker.evaluate_task(r.task_uuid, p_processor_uuid));
    END IF;
  END LOOP;
  RETURN jsonb_build_object('evaluations', v_out,
    'after_entered', CASE WHEN v_seen < p_limit THEN NULL ELSE v_last_entered END,
    'after_task', CASE WHEN v_seen < p_limit THEN NULL ELSE v_last_task END);
END
$$;
