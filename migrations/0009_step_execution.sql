-- A step's round trip: a worker claims it (one call: state CAS, attempt count,
-- lease, ack of the queue message, and everything the handler needs), submits its
-- result (state CAS fenced by worker and attempt, result, audit row, completion
-- notice), and the orchestration processes the notice (final step state, retry
-- decision, task evaluation, ack) — three calls, each one transaction.

-- The orchestration's queues are fixed; worker queues are created per namespace.
SELECT pgmq."create"('orchestration_step_results');
SELECT pgmq."create"('orchestration_task_requests');

CREATE FUNCTION tasker.claim_step(
  p_step_uuid uuid,
  p_worker_uuid uuid,
  p_queue_name text,
  p_msg_id bigint,
  p_default_timeout_seconds integer,
  p_lease_grace_seconds integer
)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_from text;
  v_now timestamptz := clock_timestamp();
  s record;
  v_deps jsonb;
BEGIN
  v_from := tasker.transition_step_state(p_step_uuid, ARRAY['enqueued'], 'in_progress', 'start',
                                         jsonb_build_object('worker_uuid', p_worker_uuid));
  -- The message is acknowledged either way: a step that is no longer claimable
  -- (claimed by another delivery, cancelled, finished) must not reappear.
  IF p_msg_id IS NOT NULL THEN
    PERFORM pgmq.archive(p_queue_name, p_msg_id);
  END IF;
  IF v_from IS NULL THEN
    RETURN jsonb_build_object('claimed', false, 'step_uuid', p_step_uuid,
      'state', (SELECT state FROM tasker.workflow_steps WHERE workflow_step_uuid = p_step_uuid));
  END IF;

  UPDATE tasker.workflow_steps
     SET attempts = attempts + 1,
         last_attempted_at = v_now,
         claimed_by = p_worker_uuid,
         lease_expires_at = v_now + make_interval(secs => coalesce(timeout_seconds, p_default_timeout_seconds)
                                                         + p_lease_grace_seconds)
   WHERE workflow_step_uuid = p_step_uuid
  RETURNING workflow_step_uuid, task_uuid, named_step_uuid, attempts, max_attempts, retryable, inputs, timeout_seconds
    INTO s;

  -- Results of every ancestor that finished, keyed by step name (the handler's return value).
  WITH RECURSIVE ancestors(step_uuid, depth) AS (
    SELECT e.from_step_uuid, 1 FROM tasker.workflow_step_edges e WHERE e.to_step_uuid = p_step_uuid
    UNION
    SELECT e.from_step_uuid, a.depth + 1
      FROM ancestors a JOIN tasker.workflow_step_edges e ON e.to_step_uuid = a.step_uuid
     WHERE a.depth < 100
  )
  SELECT coalesce(jsonb_object_agg(ns.name, ws.results -> 'result'), '{}')
    INTO v_deps
    FROM (SELECT DISTINCT step_uuid FROM ancestors) a
    JOIN tasker.workflow_steps ws ON ws.workflow_step_uuid = a.step_uuid
    JOIN tasker.named_steps ns USING (named_step_uuid)
   WHERE ws.state IN ('complete', 'resolved_manually');

  RETURN (
    SELECT jsonb_build_object(
      'claimed', true,
      'task', jsonb_build_object(
        'task_uuid', t.task_uuid, 'namespace', nsp.name, 'name', nt.name, 'version', nt.version,
        'context', t.context, 'correlation_id', t.correlation_id,
        'parent_correlation_id', t.parent_correlation_id, 'trace_context', t.trace_context,
        'priority', t.priority, 'tags', t.tags),
      'step', jsonb_build_object(
        'step_uuid', s.workflow_step_uuid, 'name', st.name, 'attempt', s.attempts,
        'max_attempts', s.max_attempts, 'retryable', s.retryable, 'inputs', coalesce(s.inputs, '{}'),
        'timeout_seconds', s.timeout_seconds),
      'dependency_results', v_deps)
      FROM tasker.tasks t
      JOIN tasker.named_tasks nt USING (named_task_uuid)
      JOIN tasker.task_namespaces nsp USING (task_namespace_uuid)
      JOIN tasker.named_steps st ON st.named_step_uuid = s.named_step_uuid
     WHERE t.task_uuid = s.task_uuid);
END
$$;

-- Records a worker's result. Fenced: only the worker holding the current attempt
-- may submit it, so a result that arrives after its lease was reaped is refused.
-- p_results is the StepExecutionResult JSON stored in workflow_steps.results.
CREATE FUNCTION tasker.submit_step_result(
  p_step_uuid uuid,
  p_worker_uuid uuid,
  p_attempt integer,
  p_results jsonb,
  p_execution_time_ms bigint,
  p_headers jsonb DEFAULT NULL
)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  s record;
  v_success boolean := coalesce((p_results ->> 'success')::boolean, false);
  v_to text;
  v_transition uuid;
  v_msg_id bigint;
BEGIN
  SELECT ws.state, ws.attempts, ws.claimed_by, ws.task_uuid, t.correlation_id
    INTO s
    FROM tasker.workflow_steps ws JOIN tasker.tasks t USING (task_uuid)
   WHERE ws.workflow_step_uuid = p_step_uuid
     FOR NO KEY UPDATE OF ws;
  IF NOT FOUND OR s.state <> 'in_progress' OR s.attempts <> p_attempt OR s.claimed_by IS DISTINCT FROM p_worker_uuid THEN
    RETURN jsonb_build_object('accepted', false, 'state', s.state, 'attempts', s.attempts);
  END IF;

  v_to := CASE WHEN v_success THEN 'enqueued_for_orchestration' ELSE 'enqueued_as_error_for_orchestration' END;
  PERFORM tasker.transition_step_state(p_step_uuid, ARRAY['in_progress'], v_to,
    CASE WHEN v_success THEN 'enqueue_for_orchestration' ELSE 'enqueue_as_error_for_orchestration' END,
    jsonb_build_object('worker_uuid', p_worker_uuid, 'correlation_id', s.correlation_id,
                       'attempt', p_attempt, 'execution_time_ms', p_execution_time_ms));
  UPDATE tasker.workflow_steps SET results = p_results WHERE workflow_step_uuid = p_step_uuid;

  SELECT workflow_step_transition_uuid INTO v_transition
    FROM tasker.workflow_step_transitions WHERE workflow_step_uuid = p_step_uuid AND most_recent;
  INSERT INTO tasker.workflow_step_result_audit
    (workflow_step_uuid, workflow_step_transition_uuid, task_uuid, worker_uuid, correlation_id, attempt,
     success, execution_time_ms)
  VALUES (p_step_uuid, v_transition, s.task_uuid, p_worker_uuid, s.correlation_id, p_attempt,
          v_success, p_execution_time_ms);

  v_msg_id := tasker.pgmq_send_with_notify('orchestration_step_results',
    jsonb_build_object('task_uuid', s.task_uuid, 'step_uuid', p_step_uuid,
                       'correlation_id', s.correlation_id, 'attempt', p_attempt),
    0, p_headers);
  RETURN jsonb_build_object('accepted', true, 'state', v_to, 'msg_id', v_msg_id);
END
$$;

-- Processes a completion notice: moves the step to complete, waiting_for_retry
-- (with its backoff) or error, evaluates the task, and acknowledges the message,
-- all in one transaction. A notice for a step that is not awaiting orchestration
-- (a duplicate) changes nothing but is still acknowledged.
CREATE FUNCTION tasker.process_step_result(
  p_step_uuid uuid,
  p_processor_uuid uuid,
  p_msg_id bigint DEFAULT NULL,
  p_headers jsonb DEFAULT NULL
)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_task uuid;
  s record;
  v_to text := NULL;
  v_handler_retryable boolean;
  v_retry_after numeric;
  v_delay_ms bigint;
  v_eval jsonb;
BEGIN
  IF p_msg_id IS NOT NULL THEN
    PERFORM pgmq.archive('orchestration_step_results', p_msg_id);
  END IF;
  SELECT task_uuid INTO v_task FROM tasker.workflow_steps WHERE workflow_step_uuid = p_step_uuid;
  IF v_task IS NULL THEN
    RETURN jsonb_build_object('found', false, 'step_uuid', p_step_uuid);
  END IF;
  -- Task lock first, always: the same order as evaluate_task, so no deadlocks.
  PERFORM 1 FROM tasker.tasks WHERE task_uuid = v_task FOR NO KEY UPDATE;
  SELECT state, attempts, max_attempts, retryable, backoff, backoff_base_ms, max_backoff_ms, results
    INTO s FROM tasker.workflow_steps WHERE workflow_step_uuid = p_step_uuid FOR NO KEY UPDATE;

  IF s.state = 'enqueued_for_orchestration' THEN
    IF coalesce((s.results ->> 'success')::boolean, false) THEN
      v_to := 'complete';
      PERFORM tasker.transition_step_state(p_step_uuid, ARRAY[s.state], 'complete', 'complete');
    ELSE
      v_to := 'error';
      PERFORM tasker.transition_step_state(p_step_uuid, ARRAY[s.state], 'error', 'fail',
        jsonb_build_object('reason', 'result reported failure'));
    END IF;
  ELSIF s.state = 'enqueued_as_error_for_orchestration' THEN
    v_handler_retryable := coalesce((s.results #>> '{metadata,retryable}')::boolean,
                                    (s.results #>> '{error,retryable}')::boolean, true);
    IF v_handler_retryable AND s.retryable AND s.attempts < s.max_attempts THEN
      v_retry_after := (s.results #>> '{error,retry_after_seconds}')::numeric;
      v_delay_ms := CASE WHEN v_retry_after IS NOT NULL AND v_retry_after >= 0
                         THEN least(v_retry_after * 1000, 86400000)::bigint
                         ELSE tasker.step_backoff_ms(s.backoff, s.backoff_base_ms, s.max_backoff_ms, s.attempts) END;
      v_to := 'waiting_for_retry';
      PERFORM tasker.transition_step_state(p_step_uuid, ARRAY[s.state], 'waiting_for_retry', 'wait_for_retry',
        jsonb_build_object('delay_ms', v_delay_ms, 'attempts', s.attempts, 'max_attempts', s.max_attempts));
      UPDATE tasker.workflow_steps
         SET next_retry_at = clock_timestamp() + make_interval(secs => v_delay_ms / 1000.0),
             backoff_request_seconds = ceil(v_delay_ms / 1000.0)::int
       WHERE workflow_step_uuid = p_step_uuid;
    ELSE
      v_to := 'error';
      PERFORM tasker.transition_step_state(p_step_uuid, ARRAY[s.state], 'error', 'fail',
        jsonb_build_object('reason', CASE WHEN NOT v_handler_retryable OR NOT s.retryable THEN 'permanent_failure'
                                          ELSE 'attempts_exhausted' END,
                           'attempts', s.attempts, 'max_attempts', s.max_attempts));
    END IF;
  END IF;

  v_eval := tasker.evaluate_task(v_task, p_processor_uuid, p_headers);
  RETURN jsonb_build_object('found', true, 'step_uuid', p_step_uuid, 'task_uuid', v_task,
                            'step_from', s.state, 'step_to', v_to, 'delay_ms', v_delay_ms,
                            'attempts', s.attempts, 'evaluation', v_eval);
END
$$;
