-- The workflow as SQL functions: each is one transaction that guards, locks,
-- updates and enqueues together, and returns what it did (as JSON) so the caller
-- can log, emit events and record metrics. Every function is idempotent:
-- a redelivered message or a second orchestrator changes nothing.

-- Delay before the next attempt, from the step's retry block.
-- attempts = executions so far (1 after the first failure). Jitter: +-15 %.
CREATE FUNCTION tasker.step_backoff_ms(p_backoff text, p_base_ms integer, p_max_ms integer, p_attempts integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  n integer := greatest(p_attempts, 1);
  raw numeric;
  a numeric := 1;
  b numeric := 1;
  t numeric;
BEGIN
  IF p_backoff = 'none' THEN
    RETURN 0;
  ELSIF p_backoff = 'linear' THEN
    raw := p_base_ms::numeric * n;
  ELSIF p_backoff = 'fibonacci' THEN
    FOR i IN 2..least(n, 60) LOOP
      t := a + b; a := b; b := t;
    END LOOP;
    raw := p_base_ms::numeric * a;
  ELSE
    raw := p_base_ms::numeric * power(2::numeric, least(n - 1, 40));
  END IF;
  raw := least(raw, p_max_ms::numeric);
  RETURN greatest(0, round(raw * (0.85 + random() * 0.30)))::bigint;
END
$$;

-- Whether a step may be handed to a worker now (now() = the transaction's start:
-- a volatile clock_timestamp() here would stop the planner from inlining it).
CREATE FUNCTION tasker.step_is_ready(
  p_state text, p_remaining_dependencies integer, p_attempts integer, p_max_attempts integer,
  p_retryable boolean, p_next_retry_at timestamptz
)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT p_remaining_dependencies = 0
     AND (p_state = 'pending'
          OR (p_state = 'waiting_for_retry' AND (p_next_retry_at IS NULL OR p_next_retry_at <= now())))
     AND (p_attempts = 0 OR (p_retryable AND p_attempts < p_max_attempts))
$$;

-- Per-task step counts and the resulting execution status (tasker-core's
-- get_task_execution_context, over the state columns).
CREATE FUNCTION tasker.task_execution_context(p_task_uuid uuid)
RETURNS TABLE (
  task_uuid uuid, total_steps integer, pending_steps integer, in_progress_steps integer,
  enqueued_steps integer, completed_steps integer, failed_steps integer, ready_steps integer,
  waiting_for_retry_steps integer, next_retry_at timestamptz, execution_status text,
  recommended_action text, completion_percentage numeric, health_status text
)
LANGUAGE sql STABLE
AS $$
  WITH c AS (
    SELECT count(*)::int AS total,
           count(*) FILTER (WHERE s.state = 'pending')::int AS pending,
           count(*) FILTER (WHERE s.state = 'in_progress')::int AS in_progress,
           count(*) FILTER (WHERE s.state IN ('enqueued', 'enqueued_for_orchestration',
                                              'enqueued_as_error_for_orchestration'))::int AS enqueued,
           count(*) FILTER (WHERE s.state IN ('complete', 'resolved_manually'))::int AS completed,
           count(*) FILTER (WHERE s.state = 'error')::int AS failed,
           count(*) FILTER (WHERE tasker.step_is_ready(s.state, s.remaining_dependencies, s.attempts,
                                                       s.max_attempts, s.retryable, s.next_retry_at))::int AS ready,
           count(*) FILTER (WHERE s.state = 'waiting_for_retry')::int AS waiting_for_retry,
           min(s.next_retry_at) FILTER (WHERE s.state = 'waiting_for_retry') AS next_retry_at
      FROM tasker.workflow_steps s
     WHERE s.task_uuid = p_task_uuid
  ), st AS (
    SELECT c.*,
           CASE WHEN c.failed > 0 THEN 'blocked_by_failures'
                WHEN c.ready > 0 THEN 'has_ready_steps'
                WHEN c.in_progress + c.enqueued > 0 THEN 'processing'
                WHEN c.total > 0 AND c.completed = c.total THEN 'all_complete'
                ELSE 'waiting_for_dependencies' END AS status
      FROM c
  )
  SELECT p_task_uuid, st.total, st.pending, st.in_progress, st.enqueued, st.completed, st.failed, st.ready,
         st.waiting_for_retry, st.next_retry_at, st.status,
         CASE st.status WHEN 'blocked_by_failures' THEN 'handle_failures'
                        WHEN 'has_ready_steps' THEN 'execute_ready_steps'
                        WHEN 'processing' THEN 'wait_for_completion'
                        WHEN 'all_complete' THEN 'finalize_task'
                        ELSE 'wait_for_dependencies' END,
         CASE WHEN st.total = 0 THEN 0 ELSE round(st.completed::numeric * 100 / st.total, 2) END,
         CASE WHEN st.failed > 0 THEN 'blocked' ELSE 'healthy' END
    FROM st
$$;

-- Drives a task as far as it can go now: starts it, enqueues every ready step to
-- worker_<namespace>_queue (state first, then the message, in this transaction),
-- completes it, or parks it waiting or blocked. Takes the task row lock, so
-- evaluations of one task never interleave.
CREATE FUNCTION tasker.evaluate_task(p_task_uuid uuid, p_processor_uuid uuid, p_headers jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t record;
  ctx record;
  s record;
  v_state text;
  v_log jsonb := '[]';
  v_enqueued jsonb := '[]';
  v_queue text;
  v_msg_id bigint;
  v_target text;
BEGIN
  SELECT tk.task_uuid, tk.state, tk.correlation_id, ns.name AS namespace, nt.name AS task_name
    INTO t
    FROM tasker.tasks tk
    JOIN tasker.named_tasks nt USING (named_task_uuid)
    JOIN tasker.task_namespaces ns USING (task_namespace_uuid)
   WHERE tk.task_uuid = p_task_uuid
     FOR NO KEY UPDATE OF tk;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('task_uuid', p_task_uuid, 'found', false);
  END IF;
  v_state := t.state;

  IF v_state IN ('complete', 'error', 'cancelled', 'resolved_manually') THEN
    RETURN jsonb_build_object('task_uuid', p_task_uuid, 'found', true, 'state', v_state,
                              'correlation_id', t.correlation_id, 'namespace', t.namespace,
                              'transitions', v_log, 'enqueued', v_enqueued);
  END IF;

  IF v_state = 'pending' THEN
    PERFORM tasker.transition_task_state(p_task_uuid, ARRAY['pending'], 'initializing', 'start', p_processor_uuid);
    v_log := v_log || jsonb_build_array(jsonb_build_array('pending', 'initializing', 'start'));
    v_state := 'initializing';
  END IF;

  SELECT * INTO ctx FROM tasker.task_execution_context(p_task_uuid);

  v_target := CASE ctx.execution_status
                WHEN 'blocked_by_failures' THEN 'blocked_by_failures'
                WHEN 'has_ready_steps' THEN 'enqueuing_steps'
                WHEN 'all_complete' THEN 'complete'
                WHEN 'waiting_for_dependencies' THEN 'waiting_for_dependencies'
                ELSE NULL END;  -- processing: stay where it is

  -- Nothing to change (already there, or steps are still running).
  IF v_target IS NULL OR v_target = v_state THEN
    RETURN jsonb_build_object('task_uuid', p_task_uuid, 'found', true, 'state', v_state,
                              'correlation_id', t.correlation_id, 'namespace', t.namespace,
                              'execution_status', ctx.execution_status, 'next_retry_at', ctx.next_retry_at,
                              'transitions', v_log, 'enqueued', v_enqueued);
  END IF;

  -- Every route below runs through evaluating_results, except straight from initializing.
  IF v_state IN ('steps_in_process', 'waiting_for_dependencies', 'waiting_for_retry', 'blocked_by_failures') THEN
    PERFORM tasker.transition_task_state(p_task_uuid, ARRAY[v_state], 'evaluating_results',
      CASE v_state WHEN 'steps_in_process' THEN 'step_completed'
                   WHEN 'blocked_by_failures' THEN 'failures_resolved'
                   ELSE 'dependencies_ready' END, p_processor_uuid);
    v_log := v_log || jsonb_build_array(jsonb_build_array(v_state, 'evaluating_results',
      CASE v_state WHEN 'steps_in_process' THEN 'step_completed'
                   WHEN 'blocked_by_failures' THEN 'failures_resolved'
                   ELSE 'dependencies_ready' END));
    v_state := 'evaluating_results';
  END IF;

  IF v_target = 'blocked_by_failures' AND v_state = 'initializing' THEN
    v_target := 'error';
  END IF;

  IF v_target <> 'enqueuing_steps' THEN
    PERFORM tasker.transition_task_state(p_task_uuid, ARRAY[v_state], v_target,
      CASE v_target WHEN 'complete' THEN 'all_steps_successful'
                    WHEN 'blocked_by_failures' THEN 'permanent_failure'
                    WHEN 'error' THEN 'permanent_failure'
                    ELSE 'no_dependencies_ready' END, p_processor_uuid);
    v_log := v_log || jsonb_build_array(jsonb_build_array(v_state, v_target,
      CASE v_target WHEN 'complete' THEN 'all_steps_successful'
                    WHEN 'blocked_by_failures' THEN 'permanent_failure'
                    WHEN 'error' THEN 'permanent_failure'
                    ELSE 'no_dependencies_ready' END));
    RETURN jsonb_build_object('task_uuid', p_task_uuid, 'found', true, 'state', v_target,
                              'correlation_id', t.correlation_id, 'namespace', t.namespace,
                              'execution_status', ctx.execution_status, 'next_retry_at', ctx.next_retry_at,
                              'transitions', v_log, 'enqueued', v_enqueued);
  END IF;

  -- Enqueue every ready step.
  PERFORM tasker.transition_task_state(p_task_uuid, ARRAY[v_state], 'enqueuing_steps', 'ready_steps_found',
                                       p_processor_uuid, jsonb_build_object('ready_steps', ctx.ready_steps));
  v_log := v_log || jsonb_build_array(jsonb_build_array(v_state, 'enqueuing_steps', 'ready_steps_found'));
  v_queue := 'worker_' || t.namespace || '_queue';
  IF NOT EXISTS (SELECT 1 FROM pgmq.meta m WHERE m.queue_name = v_queue) THEN
    PERFORM pgmq."create"(v_queue);
  END IF;

  FOR s IN
    SELECT ws.workflow_step_uuid, ws.state, ws.attempts, ns.name
      FROM tasker.workflow_steps ws
      JOIN tasker.named_steps ns USING (named_step_uuid)
     WHERE ws.task_uuid = p_task_uuid
       AND tasker.step_is_ready(ws.state, ws.remaining_dependencies, ws.attempts, ws.max_attempts,
                                ws.retryable, ws.next_retry_at)
     ORDER BY ws.workflow_step_uuid
       FOR NO KEY UPDATE OF ws
  LOOP
    IF s.state = 'waiting_for_retry' THEN
      PERFORM tasker.transition_step_state(s.workflow_step_uuid, ARRAY['waiting_for_retry'], 'pending', 'retry');
    END IF;
    PERFORM tasker.transition_step_state(s.workflow_step_uuid, ARRAY['pending'], 'enqueued', 'enqueue');
    v_msg_id := tasker.pgmq_send_with_notify(
      v_queue,
      jsonb_build_object('task_uuid', p_task_uuid, 'step_uuid', s.workflow_step_uuid,
                         'correlation_id', t.correlation_id, 'step_name', s.name,
                         'attempt', s.attempts + 1),
      0,
      p_headers);
    v_enqueued := v_enqueued || jsonb_build_array(jsonb_build_object(
      'step_uuid', s.workflow_step_uuid, 'step_name', s.name, 'msg_id', v_msg_id,
      'retry', s.state = 'waiting_for_retry', 'attempt', s.attempts + 1));
  END LOOP;

  PERFORM tasker.transition_task_state(p_task_uuid, ARRAY['enqueuing_steps'], 'steps_in_process', 'steps_enqueued',
                                       p_processor_uuid, jsonb_build_object('steps', jsonb_array_length(v_enqueued)));
  v_log := v_log || jsonb_build_array(jsonb_build_array('enqueuing_steps', 'steps_in_process', 'steps_enqueued'));
  RETURN jsonb_build_object('task_uuid', p_task_uuid, 'found', true, 'state', 'steps_in_process',
                            'correlation_id', t.correlation_id, 'namespace', t.namespace,
                            'execution_status', ctx.execution_status, 'next_retry_at', ctx.next_retry_at,
                            'transitions', v_log, 'enqueued', v_enqueued);
END
$$;
