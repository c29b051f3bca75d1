-- Step path v2: a worker finishes a step in one call.
--
-- Before (0009), a step took three transactions in two processes: claim_step (worker),
-- submit_step_result (worker: result, completion notice + NOTIFY to the orchestration),
-- process_step_result (orchestrator: final state, evaluate_task over every step of the
-- task, three task transitions, enqueue of the children). Now:
--
--   claim_step     (worker)  one UPDATE of the step: enqueued | waiting_for_retry -> in_progress
--   complete_step  (worker)  the fenced result, its history and audit row, the children's
--                            dependency counts, the enqueue of every child that became ready
--                            (or its claim by the same worker: continuation), and the task's
--                            completion when it was the last step
--
-- The task row is not touched while the task runs normally: a step's completion changes the
-- task's state only when the task finishes, is blocked, or was parked. Retries are queue
-- messages delayed until the retry is due, claimed like any other.
--
-- Lock order, everywhere on this path: the step being completed or claimed, then its children
-- in uuid order, then the task; a queue message after its step (claim_step's ack), except in the
-- backlog continuation, which locks a message first and then takes its step only with SKIP LOCKED. The operator functions and the reaper (0010, 0011) lock the
-- task first; the few transactions that meet both orders (a failure, the last step, a claim of
-- a parked task's retry, while an operator acts on the same task) are resolved by PostgreSQL's
-- deadlock detection, and the worker sends its fenced call again.

-- Everything a handler needs for a claimed step (the `claimed: true` answer of claim_step).
CREATE FUNCTION tasker.step_claim_context(p_step_uuid uuid)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_deps jsonb;
  v_out jsonb;
BEGIN
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
    INTO v_out
    FROM tasker.workflow_steps s
    JOIN tasker.tasks t USING (task_uuid)
    JOIN tasker.named_tasks nt USING (named_task_uuid)
    JOIN tasker.task_namespaces nsp USING (task_namespace_uuid)
    JOIN tasker.named_steps st ON st.named_step_uuid = s.named_step_uuid
   WHERE s.workflow_step_uuid = p_step_uuid;
  RETURN v_out;
END
$$;

-- Sends step messages to a worker queue with at most one notification: the message inline
-- when there is one, a `batch_ready` signal when there are several. Returns the msg_ids in
-- the order of p_messages.
CREATE FUNCTION tasker.send_step_messages(p_queue_name text, p_messages jsonb[], p_headers jsonb DEFAULT NULL)
RETURNS bigint[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF p_messages IS NULL OR cardinality(p_messages) = 0 THEN
    RETURN '{}';
  ELSIF cardinality(p_messages) = 1 THEN
    RETURN ARRAY[tasker.pgmq_send_with_notify(p_queue_name, p_messages[1], 0, p_headers)];
  END IF;
  RETURN ARRAY(SELECT tasker.pgmq_send_batch_with_notify(
    p_queue_name, p_messages, 0,
    CASE WHEN p_headers IS NULL THEN NULL ELSE array_fill(p_headers, ARRAY[cardinality(p_messages)]) END));
END
$$;

-- A task parked while a retry was pending (waiting_for_dependencies) runs again once the
-- retried step is claimed. Returns the task transitions made, as evaluate_task reports them.
CREATE FUNCTION tasker.resume_parked_task(p_task_uuid uuid, p_processor_uuid uuid)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_state text;
BEGIN
  SELECT state INTO v_state FROM tasker.tasks WHERE task_uuid = p_task_uuid FOR NO KEY UPDATE;
  IF v_state IS NULL OR v_state NOT IN ('waiting_for_dependencies', 'waiting_for_retry') THEN
    RETURN '[]';
  END IF;
  PERFORM tasker.transition_task_state(p_task_uuid, ARRAY[v_state], 'evaluating_results', 'dependencies_ready', p_processor_uuid);
  PERFORM tasker.transition_task_state(p_task_uuid, ARRAY['evaluating_results'], 'enqueuing_steps', 'ready_steps_found', p_processor_uuid);
  PERFORM tasker.transition_task_state(p_task_uuid, ARRAY['enqueuing_steps'], 'steps_in_process', 'steps_enqueued', p_processor_uuid);
  RETURN jsonb_build_array(
    jsonb_build_array(v_state, 'evaluating_results', 'dependencies_ready'),
    jsonb_build_array('evaluating_results', 'enqueuing_steps', 'ready_steps_found'),
    jsonb_build_array('enqueuing_steps', 'steps_in_process', 'steps_enqueued'));
END
$$;

-- Claims a step for a worker: one UPDATE of the step row (state, attempt, lease, claimant),
-- its history rows, the ack of its message (pgmq.delete), and everything the handler needs.
-- Claimable: `enqueued`, or `waiting_for_retry` once its retry is due (the delayed message a
-- failure sent). A message that names a step of another namespace than its queue's, or a step
-- that is no longer claimable, is archived and refused; a retry that arrives early is hidden
-- until it is due.
CREATE OR REPLACE FUNCTION tasker.claim_step(
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
  v_now timestamptz := clock_timestamp();
  s record;
  v_sort integer;
  v_retry boolean;
  v_transitions jsonb := '[]';
  v_meta jsonb := jsonb_build_object('worker_uuid', p_worker_uuid);
BEGIN
  SELECT ws.state, ws.next_retry_at, ws.task_uuid, ws.attempts, t.state AS task_state, t.correlation_id,
         nsp.name AS namespace, st.name AS step_name
    INTO s
    FROM tasker.workflow_steps ws
    JOIN tasker.tasks t USING (task_uuid)
    JOIN tasker.named_tasks nt USING (named_task_uuid)
    JOIN tasker.task_namespaces nsp USING (task_namespace_uuid)
    JOIN tasker.named_steps st ON st.named_step_uuid = ws.named_step_uuid
   WHERE ws.workflow_step_uuid = p_step_uuid
     FOR NO KEY UPDATE OF ws;
  IF NOT FOUND THEN
    IF p_msg_id IS NOT NULL THEN
      PERFORM pgmq.archive(p_queue_name, p_msg_id);
    END IF;
    RETURN jsonb_build_object('claimed', false, 'step_uuid', p_step_uuid, 'state', NULL);
  END IF;
  -- A step is claimed only through its own namespace's queue.
  IF p_queue_name IS NOT NULL AND 'worker_' || s.namespace || '_queue' <> p_queue_name THEN
    IF p_msg_id IS NOT NULL THEN
      PERFORM pgmq.archive(p_queue_name, p_msg_id);
    END IF;
    RETURN jsonb_build_object('claimed', false, 'step_uuid', p_step_uuid, 'state', s.state,
      'refused', 'wrong_queue', 'step_queue', 'worker_' || s.namespace || '_queue');
  END IF;

  v_retry := s.state = 'waiting_for_retry' AND s.task_state NOT IN (
    'blocked_by_failures', 'complete', 'error', 'cancelled', 'resolved_manually');
  IF v_retry AND s.next_retry_at > v_now THEN
    IF p_msg_id IS NOT NULL THEN
      PERFORM pgmq.set_vt(p_queue_name, p_msg_id, ceil(extract(epoch FROM s.next_retry_at - v_now))::int);
    END IF;
    RETURN jsonb_build_object('claimed', false, 'step_uuid', p_step_uuid, 'state', s.state,
                              'retry_at', s.next_retry_at);
  END IF;
  IF s.state <> 'enqueued' AND NOT v_retry THEN
    -- Claimed by another delivery, cancelled, finished, or a retry of a blocked task (it is
    -- enqueued again when the task is unblocked): the message must not reappear.
    IF p_msg_id IS NOT NULL THEN
      PERFORM pgmq.archive(p_queue_name, p_msg_id);
    END IF;
    RETURN jsonb_build_object('claimed', false, 'step_uuid', p_step_uuid, 'state', s.state);
  END IF;

  UPDATE tasker.workflow_steps ws
     SET state = 'in_progress',
         state_entered_at = v_now,
         transition_count = ws.transition_count + CASE WHEN v_retry THEN 3 ELSE 1 END,
         in_process = true,
         processed = false,
         attempts = ws.attempts + 1,
         last_attempted_at = v_now,
         claimed_by = p_worker_uuid,
         lease_expires_at = v_now + make_interval(secs => coalesce(ws.timeout_seconds, p_default_timeout_seconds)
                                                         + p_lease_grace_seconds),
         next_retry_at = NULL,
         updated_at = v_now
   WHERE ws.workflow_step_uuid = p_step_uuid
  RETURNING ws.transition_count INTO v_sort;
  IF v_retry THEN
    INSERT INTO tasker.workflow_step_transitions
      (workflow_step_uuid, from_state, to_state, event, metadata, sort_key, created_at, updated_at)
    VALUES (p_step_uuid, 'waiting_for_retry', 'pending', 'retry', '{}', v_sort - 2, v_now, v_now),
           (p_step_uuid, 'pending', 'enqueued', 'enqueue', '{}', v_sort - 1, v_now, v_now),
           (p_step_uuid, 'enqueued', 'in_progress', 'start', v_meta, v_sort, v_now, v_now);
  ELSE
    INSERT INTO tasker.workflow_step_transitions
      (workflow_step_uuid, from_state, to_state, event, metadata, sort_key, created_at, updated_at)
    VALUES (p_step_uuid, 'enqueued', 'in_progress', 'start', v_meta, v_sort, v_now, v_now);
  END IF;
  IF p_msg_id IS NOT NULL THEN
    PERFORM pgmq.delete(p_queue_name, p_msg_id);
  END IF;
  IF v_retry AND s.task_state <> 'steps_in_process' THEN
    v_transitions := tasker.resume_parked_task(s.task_uuid, p_worker_uuid);
  END IF;

  RETURN tasker.step_claim_context(p_step_uuid) || CASE WHEN NOT v_retry THEN '{}'::jsonb ELSE
    jsonb_build_object('evaluation', jsonb_build_object(
      'task_uuid', s.task_uuid, 'found', true, 'state', CASE WHEN jsonb_array_length(v_transitions) > 0
                                                             THEN 'steps_in_process' ELSE s.task_state END,
      'correlation_id', s.correlation_id, 'namespace', s.namespace, 'transitions', v_transitions,
      'enqueued', jsonb_build_array(jsonb_build_object(
        'step_uuid', p_step_uuid, 'step_name', s.step_name, 'msg_id', p_msg_id, 'retry', true,
        'attempt', s.attempts + 1)))) END;
END
$$;

-- evaluate_task of 0007, enqueueing the ready steps with one send and at most one
-- notification (send_step_messages) instead of a send and a NOTIFY per step.
CREATE OR REPLACE FUNCTION tasker.evaluate_task(p_task_uuid uuid, p_processor_uuid uuid, p_headers jsonb DEFAULT NULL)
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
  v_messages jsonb[] := '{}';
  v_ids bigint[];
  v_target text;
  v_event text;
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

  IF v_target IS NULL OR v_target = v_state THEN
    RETURN jsonb_build_object('task_uuid', p_task_uuid, 'found', true, 'state', v_state,
                              'correlation_id', t.correlation_id, 'namespace', t.namespace,
                              'execution_status', ctx.execution_status, 'next_retry_at', ctx.next_retry_at,
                              'transitions', v_log, 'enqueued', v_enqueued);
  END IF;

  -- Every route below runs through evaluating_results, except straight from initializing.
  IF v_state IN ('steps_in_process', 'waiting_for_dependencies', 'waiting_for_retry', 'blocked_by_failures') THEN
    v_event := CASE v_state WHEN 'steps_in_process' THEN 'step_completed'
                            WHEN 'blocked_by_failures' THEN 'failures_resolved'
                            ELSE 'dependencies_ready' END;
    PERFORM tasker.transition_task_state(p_task_uuid, ARRAY[v_state], 'evaluating_results', v_event, p_processor_uuid);
    v_log := v_log || jsonb_build_array(jsonb_build_array(v_state, 'evaluating_results', v_event));
    v_state := 'evaluating_results';
  END IF;

  IF v_target = 'blocked_by_failures' AND v_state = 'initializing' THEN
    v_target := 'error';
  END IF;

  IF v_target <> 'enqueuing_steps' THEN
    v_event := CASE v_target WHEN 'complete' THEN 'all_steps_successful'
                             WHEN 'blocked_by_failures' THEN 'permanent_failure'
                             WHEN 'error' THEN 'permanent_failure'
                             ELSE 'no_dependencies_ready' END;
    PERFORM tasker.transition_task_state(p_task_uuid, ARRAY[v_state], v_target, v_event, p_processor_uuid);
    v_log := v_log || jsonb_build_array(jsonb_build_array(v_state, v_target, v_event));
    RETURN jsonb_build_object('task_uuid', p_task_uuid, 'found', true, 'state', v_target,
                              'correlation_id', t.correlation_id, 'namespace', t.namespace,
                              'execution_status', ctx.execution_status, 'next_retry_at', ctx.next_retry_at,
                              'transitions', v_log, 'enqueued', v_enqueued);
  END IF;

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
    v_messages := v_messages || jsonb_build_object(
      'task_uuid', p_task_uuid, 'step_uuid', s.workflow_step_uuid, 'correlation_id', t.correlation_id,
      'step_name', s.name, 'attempt', s.attempts + 1);
    v_enqueued := v_enqueued || jsonb_build_array(jsonb_build_object(
      'step_uuid', s.workflow_step_uuid, 'step_name', s.name,
      'retry', s.state = 'waiting_for_retry', 'attempt', s.attempts + 1));
  END LOOP;
  v_ids := tasker.send_step_messages(v_queue, v_messages, p_headers);
  SELECT coalesce(jsonb_agg(e || jsonb_build_object('msg_id', v_ids[n]) ORDER BY n), '[]')
    INTO v_enqueued
    FROM jsonb_array_elements(v_enqueued) WITH ORDINALITY AS x(e, n);

  PERFORM tasker.transition_task_state(p_task_uuid, ARRAY['enqueuing_steps'], 'steps_in_process', 'steps_enqueued',
                                       p_processor_uuid, jsonb_build_object('steps', jsonb_array_length(v_enqueued)));
  v_log := v_log || jsonb_build_array(jsonb_build_array('enqueuing_steps', 'steps_in_process', 'steps_enqueued'));
  RETURN jsonb_build_object('task_uuid', p_task_uuid, 'found', true, 'state', 'steps_in_process',
                            'correlation_id', t.correlation_id, 'namespace', t.namespace,
                            'execution_status', ctx.execution_status, 'next_retry_at', ctx.next_retry_at,
                            'transitions', v_log, 'enqueued', v_enqueued);
END
$$;

-- process_step_result of 0009 (the reaper's path, and notices still in flight from before
-- this migration): a retry is now a message to the worker queue, delayed until the retry is
-- due, instead of an orchestrator timer and a re-evaluation.
CREATE OR REPLACE FUNCTION tasker.process_step_result(
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
  v_retry_at timestamptz;
  v_eval jsonb;
BEGIN
  IF p_msg_id IS NOT NULL THEN
    PERFORM pgmq.archive('orchestration_step_results', p_msg_id);
  END IF;
  SELECT task_uuid INTO v_task FROM tasker.workflow_steps WHERE workflow_step_uuid = p_step_uuid;
  IF v_task IS NULL THEN
    RETURN jsonb_build_object('found', false, 'step_uuid', p_step_uuid);
  END IF;
  PERFORM 1 FROM tasker.tasks WHERE task_uuid = v_task FOR NO KEY UPDATE;
  SELECT ws.state, ws.attempts, ws.max_attempts, ws.retryable, ws.backoff, ws.backoff_base_ms, ws.max_backoff_ms,
         ws.results, ns.name AS step_name
    INTO s
    FROM tasker.workflow_steps ws JOIN tasker.named_steps ns USING (named_step_uuid)
   WHERE ws.workflow_step_uuid = p_step_uuid FOR NO KEY UPDATE OF ws;

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
      v_retry_at := clock_timestamp() + make_interval(secs => v_delay_ms / 1000.0);
      PERFORM tasker.transition_step_state(p_step_uuid, ARRAY[s.state], 'waiting_for_retry', 'wait_for_retry',
        jsonb_build_object('delay_ms', v_delay_ms, 'attempts', s.attempts, 'max_attempts', s.max_attempts));
      UPDATE tasker.workflow_steps
         SET next_retry_at = v_retry_at, backoff_request_seconds = ceil(v_delay_ms / 1000.0)::int
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
  -- Still waiting (evaluate_task enqueues a retry that is already due): the retry is a message
  -- that becomes visible when it is due, claimed by whichever worker reads it then.
  IF v_to = 'waiting_for_retry'
     AND EXISTS (SELECT 1 FROM tasker.workflow_steps WHERE workflow_step_uuid = p_step_uuid AND state = 'waiting_for_retry') THEN
    PERFORM pgmq.send('worker_' || (v_eval ->> 'namespace') || '_queue',
      jsonb_build_object('task_uuid', v_task, 'step_uuid', p_step_uuid, 'correlation_id', v_eval ->> 'correlation_id',
                         'step_name', s.step_name, 'attempt', s.attempts + 1),
      p_headers, v_retry_at);
  ELSE
    v_retry_at := NULL;
  END IF;
  RETURN jsonb_build_object('found', true, 'step_uuid', p_step_uuid, 'task_uuid', v_task,
                            'step_from', s.state, 'step_to', v_to, 'delay_ms', v_delay_ms,
                            'attempts', s.attempts, 'retry_at', v_retry_at, 'evaluation', v_eval);
END
$$;

-- Completes a running task whose steps have all finished: steps_in_process -> evaluating_results
-- -> complete, as evaluate_task would, with one UPDATE and one history INSERT. NULL when the
-- task is no longer in steps_in_process (the caller evaluates it instead).
CREATE FUNCTION tasker.complete_finished_task(p_task_uuid uuid, p_processor_uuid uuid, p_correlation_id uuid, p_namespace text)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_now timestamptz := clock_timestamp();
  v_sort integer;
BEGIN
  UPDATE tasker.tasks t
     SET state = 'complete', state_entered_at = v_now, transition_count = t.transition_count + 2,
         complete = true, completed_at = v_now, owner_process_uuid = NULL, updated_at = v_now
   WHERE t.task_uuid = p_task_uuid AND t.state = 'steps_in_process'
  RETURNING t.transition_count INTO v_sort;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  INSERT INTO tasker.task_transitions
    (task_uuid, from_state, to_state, event, metadata, sort_key, processor_uuid, created_at, updated_at)
  VALUES (p_task_uuid, 'steps_in_process', 'evaluating_results', 'step_completed', '{}', v_sort - 1, p_processor_uuid, v_now, v_now),
         (p_task_uuid, 'evaluating_results', 'complete', 'all_steps_successful', '{}', v_sort, p_processor_uuid, v_now, v_now);
  RETURN jsonb_build_object('task_uuid', p_task_uuid, 'found', true, 'state', 'complete',
    'correlation_id', p_correlation_id, 'namespace', p_namespace, 'execution_status', 'all_complete',
    'transitions', jsonb_build_array(
      jsonb_build_array('steps_in_process', 'evaluating_results', 'step_completed'),
      jsonb_build_array('evaluating_results', 'complete', 'all_steps_successful')),
    'enqueued', '[]'::jsonb);
END
$$;

-- A worker's result, applied in one transaction: the fenced step CAS (only the worker holding
-- the current attempt may report it), its history rows and audit row, and then
--   success: the children's remaining_dependencies; every child that became ready is enqueued
--            in one send, except the one this worker takes at once (continuation: attempt
--            counted, lease set, no message) when p_take > 0 and p_prefer_children; with
--            p_take > 0 and no child taken, the oldest visible message of the same queue is
--            claimed instead (backlog continuation). A completion that leaves no open step
--            completes the task; one that leaves other steps open whose completions may be
--            committing concurrently answers finalize = true, and the worker calls
--            finalize_tasks after its commit.
--   failure: process_step_result's decision (retry after backoff or Retry-After, or error)
--            and the task's evaluation.
-- Answers accepted = false, changing nothing, for a late or duplicate result.
CREATE FUNCTION tasker.complete_step(
  p_step_uuid uuid,
  p_worker_uuid uuid,
  p_attempt integer,
  p_results jsonb,
  p_execution_time_ms bigint,
  p_headers jsonb DEFAULT NULL,
  p_take integer DEFAULT 0,
  p_prefer_children boolean DEFAULT true,
  p_default_timeout_seconds integer DEFAULT 30,
  p_lease_grace_seconds integer DEFAULT 30
)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_now timestamptz := clock_timestamp();
  v_success boolean := coalesce((p_results ->> 'success')::boolean, false);
  s record;
  t record;
  v_transition uuid := tasker.uuid_generate_v7();
  v_meta jsonb;
  v_children integer;
  v_ready uuid[];
  v_cont uuid;
  v_messages jsonb[];
  v_ids bigint[];
  v_enqueued jsonb := '[]';
  v_continued jsonb := '[]';
  v_skipped jsonb := '[]';
  v_eval jsonb;
  v_processed jsonb;
  v_queue text;
  v_finalize boolean := false;
  v_msg record;
  v_last_msg bigint := 0;
  v_claim jsonb;
  v_tries integer := 0;
BEGIN
  IF v_success THEN
    UPDATE tasker.workflow_steps ws
       SET state = 'complete', state_entered_at = v_now, transition_count = ws.transition_count + 2,
           in_process = false, processed = true, processed_at = v_now, claimed_by = NULL,
           lease_expires_at = NULL, next_retry_at = NULL, results = p_results, updated_at = v_now
     WHERE ws.workflow_step_uuid = p_step_uuid AND ws.state = 'in_progress' AND ws.attempts = p_attempt
       AND ws.claimed_by = p_worker_uuid
    RETURNING ws.task_uuid, ws.transition_count, ws.attempts INTO s;
  ELSE
    UPDATE tasker.workflow_steps ws
       SET state = 'enqueued_as_error_for_orchestration', state_entered_at = v_now,
           transition_count = ws.transition_count + 1, in_process = false, claimed_by = NULL,
           lease_expires_at = NULL, results = p_results, updated_at = v_now
     WHERE ws.workflow_step_uuid = p_step_uuid AND ws.state = 'in_progress' AND ws.attempts = p_attempt
       AND ws.claimed_by = p_worker_uuid
    RETURNING ws.task_uuid, ws.transition_count, ws.attempts INTO s;
  END IF;
  IF NOT FOUND THEN
    RETURN (SELECT jsonb_build_object('accepted', false, 'state', ws.state, 'attempts', ws.attempts)
              FROM (SELECT NULL) AS one
              LEFT JOIN tasker.workflow_steps ws ON ws.workflow_step_uuid = p_step_uuid);
  END IF;

  SELECT tk.state, tk.correlation_id, nsp.name AS namespace
    INTO t
    FROM tasker.tasks tk
    JOIN tasker.named_tasks nt USING (named_task_uuid)
    JOIN tasker.task_namespaces nsp USING (task_namespace_uuid)
   WHERE tk.task_uuid = s.task_uuid;
  v_queue := 'worker_' || t.namespace || '_queue';
  v_meta := jsonb_build_object('worker_uuid', p_worker_uuid, 'correlation_id', t.correlation_id,
                               'attempt', p_attempt, 'execution_time_ms', p_execution_time_ms);

  IF NOT v_success THEN
    INSERT INTO tasker.workflow_step_transitions
      (workflow_step_transition_uuid, workflow_step_uuid, from_state, to_state, event, metadata, sort_key,
       created_at, updated_at)
    VALUES (v_transition, p_step_uuid, 'in_progress', 'enqueued_as_error_for_orchestration',
            'enqueue_as_error_for_orchestration', v_meta, s.transition_count, v_now, v_now);
    INSERT INTO tasker.workflow_step_result_audit
      (workflow_step_uuid, workflow_step_transition_uuid, task_uuid, worker_uuid, correlation_id, attempt,
       success, execution_time_ms, recorded_at)
    VALUES (p_step_uuid, v_transition, s.task_uuid, p_worker_uuid, t.correlation_id, p_attempt, false,
            p_execution_time_ms, v_now);
    v_processed := tasker.process_step_result(p_step_uuid, p_worker_uuid, NULL, p_headers);
    RETURN jsonb_build_object('accepted', true, 'state', 'enqueued_as_error_for_orchestration',
                              'task_uuid', s.task_uuid, 'correlation_id', t.correlation_id,
                              'namespace', t.namespace, 'processed', v_processed,
                              'continued', '[]'::jsonb, 'finalize', false);
  END IF;

  INSERT INTO tasker.workflow_step_transitions
    (workflow_step_transition_uuid, workflow_step_uuid, from_state, to_state, event, metadata, sort_key,
     created_at, updated_at)
  VALUES (v_transition, p_step_uuid, 'in_progress', 'enqueued_for_orchestration', 'enqueue_for_orchestration',
          v_meta, s.transition_count - 1, v_now, v_now),
         (tasker.uuid_generate_v7(), p_step_uuid, 'enqueued_for_orchestration', 'complete', 'complete', '{}',
          s.transition_count, v_now, v_now);
  INSERT INTO tasker.workflow_step_result_audit
    (workflow_step_uuid, workflow_step_transition_uuid, task_uuid, worker_uuid, correlation_id, attempt,
     success, execution_time_ms, recorded_at)
  VALUES (p_step_uuid, v_transition, s.task_uuid, p_worker_uuid, t.correlation_id, p_attempt, true,
          p_execution_time_ms, v_now);

  -- Children, locked in uuid order (two parents of one child never deadlock).
  SELECT count(*), array_agg(c.workflow_step_uuid ORDER BY c.workflow_step_uuid)
                     FILTER (WHERE c.remaining_dependencies = 1 AND c.state = 'pending')
    INTO v_children, v_ready
    FROM (SELECT ws.workflow_step_uuid, ws.remaining_dependencies, ws.state
            FROM tasker.workflow_step_edges e
            JOIN tasker.workflow_steps ws ON ws.workflow_step_uuid = e.to_step_uuid
           WHERE e.from_step_uuid = p_step_uuid
           ORDER BY ws.workflow_step_uuid
             FOR NO KEY UPDATE OF ws) c;
  -- Only a running task enqueues here; any other state (blocked, parked) is evaluate_task's.
  IF t.state <> 'steps_in_process' THEN
    v_ready := NULL;
  END IF;
  IF p_take > 0 AND p_prefer_children AND v_ready IS NOT NULL THEN
    v_cont := v_ready[1];
  END IF;

  IF v_children > 0 THEN
    WITH upd AS (
      UPDATE tasker.workflow_steps c
         SET remaining_dependencies = c.remaining_dependencies - 1,
             state = CASE WHEN c.workflow_step_uuid = v_cont THEN 'in_progress'
                          WHEN c.workflow_step_uuid = ANY (v_ready) THEN 'enqueued'
                          ELSE c.state END,
             state_entered_at = CASE WHEN c.workflow_step_uuid = ANY (v_ready) THEN v_now ELSE c.state_entered_at END,
             transition_count = c.transition_count + CASE WHEN c.workflow_step_uuid = v_cont THEN 2
                                                          WHEN c.workflow_step_uuid = ANY (v_ready) THEN 1
                                                          ELSE 0 END,
             in_process = coalesce(c.workflow_step_uuid = v_cont, false) OR c.in_process,
             attempts = c.attempts + CASE WHEN c.workflow_step_uuid = v_cont THEN 1 ELSE 0 END,
             last_attempted_at = CASE WHEN c.workflow_step_uuid = v_cont THEN v_now ELSE c.last_attempted_at END,
             claimed_by = CASE WHEN c.workflow_step_uuid = v_cont THEN p_worker_uuid ELSE c.claimed_by END,
             lease_expires_at = CASE WHEN c.workflow_step_uuid = v_cont
                                     THEN v_now + make_interval(secs => coalesce(c.timeout_seconds, p_default_timeout_seconds)
                                                                        + p_lease_grace_seconds)
                                     ELSE c.lease_expires_at END,
             updated_at = v_now
        FROM tasker.workflow_step_edges e
       WHERE e.from_step_uuid = p_step_uuid AND c.workflow_step_uuid = e.to_step_uuid
      RETURNING c.workflow_step_uuid AS id, c.transition_count AS sort_key, c.attempts, c.named_step_uuid,
                c.workflow_step_uuid = ANY (v_ready) AS ready, coalesce(c.workflow_step_uuid = v_cont, false) AS taken
    ), history AS (
      INSERT INTO tasker.workflow_step_transitions
        (workflow_step_uuid, from_state, to_state, event, metadata, sort_key, created_at, updated_at)
      SELECT u.id, h.from_state, h.to_state, h.event, h.metadata, h.sort_key, v_now, v_now
        FROM upd u
       CROSS JOIN LATERAL (VALUES
               ('pending', 'enqueued', 'enqueue', '{}'::jsonb, u.sort_key - CASE WHEN u.taken THEN 1 ELSE 0 END),
               ('enqueued', 'in_progress', 'start',
                jsonb_build_object('worker_uuid', p_worker_uuid, 'continuation', true), u.sort_key)
             ) AS h(from_state, to_state, event, metadata, sort_key)
       WHERE u.ready AND (h.to_state = 'enqueued' OR u.taken)
    )
    SELECT array_agg(jsonb_build_object('task_uuid', s.task_uuid, 'step_uuid', u.id, 'correlation_id', t.correlation_id,
                                        'step_name', n.name, 'attempt', u.attempts + 1) ORDER BY u.id)
             FILTER (WHERE NOT u.taken),
           coalesce(jsonb_agg(jsonb_build_object('step_uuid', u.id, 'step_name', n.name, 'retry', false,
                                                 'attempt', CASE WHEN u.taken THEN u.attempts ELSE u.attempts + 1 END,
                                                 'continuation', u.taken) ORDER BY u.taken DESC, u.id), '[]')
      INTO v_messages, v_enqueued
      FROM upd u JOIN tasker.named_steps n ON n.named_step_uuid = u.named_step_uuid
     WHERE u.ready;
    IF v_messages IS NOT NULL THEN
      v_ids := tasker.send_step_messages(v_queue, v_messages, p_headers);
      -- msg_ids in the order of v_messages: the taken child (no message) sorts first.
      SELECT coalesce(jsonb_agg(e || jsonb_build_object(
               'msg_id', CASE WHEN (e ->> 'continuation')::boolean THEN NULL
                              ELSE v_ids[n - CASE WHEN v_cont IS NULL THEN 0 ELSE 1 END] END) ORDER BY n), '[]')
        INTO v_enqueued
        FROM jsonb_array_elements(v_enqueued) WITH ORDINALITY AS x(e, n);
    END IF;
  END IF;

  IF v_cont IS NOT NULL THEN
    v_continued := jsonb_build_array(tasker.step_claim_context(v_cont) || jsonb_build_object('source', 'continuation'));
  END IF;

  IF t.state <> 'steps_in_process' THEN
    v_eval := tasker.evaluate_task(s.task_uuid, p_worker_uuid, p_headers);
  ELSIF v_ready IS NULL THEN
    IF NOT EXISTS (SELECT 1 FROM tasker.workflow_steps ws
                    WHERE ws.task_uuid = s.task_uuid AND ws.state NOT IN ('complete', 'resolved_manually')) THEN
      -- The last step: the task completes (evaluate_task's all_complete route, in one UPDATE
      -- and one INSERT; evaluate_task itself when the task moved meanwhile).
      v_eval := tasker.complete_finished_task(s.task_uuid, p_worker_uuid, t.correlation_id, t.namespace);
      IF v_eval IS NULL THEN
        v_eval := tasker.evaluate_task(s.task_uuid, p_worker_uuid, p_headers);
      END IF;
    ELSE
      v_finalize := true;
    END IF;
  END IF;

  -- Backlog continuation: the oldest visible step message of this queue, claimed in this
  -- transaction (messages another consumer holds are invisible or locked, and skipped).
  IF p_take > 0 AND v_cont IS NULL THEN
    LOOP
      v_tries := v_tries + 1;
      EXIT WHEN v_tries > 3;
      -- Ordered by the primary key and stopping at the first visible row (no filter on the
      -- message, which would turn this into a scan and sort of the whole queue).
      EXECUTE format(
        'SELECT m.msg_id, m.message, m.headers FROM pgmq.%I m
          WHERE m.vt <= clock_timestamp() AND m.msg_id > $1
          ORDER BY m.msg_id LIMIT 1 FOR UPDATE SKIP LOCKED', 'q_' || v_queue)
        INTO v_msg USING v_last_msg;
      EXIT WHEN v_msg.msg_id IS NULL;
      v_last_msg := v_msg.msg_id;
      -- Not a step message: left to the queue consumer, which archives it with a logged reason.
      CONTINUE WHEN coalesce(v_msg.message ->> 'step_uuid', '')
        !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
      -- The message is locked here before its step, the reverse of claim_step's order: take the
      -- step only if nobody holds it (a consumer claiming the same step through its notification
      -- holds the step and waits for the message), never wait for it.
      CONTINUE WHEN NOT EXISTS (SELECT 1 FROM tasker.workflow_steps ws
                                 WHERE ws.workflow_step_uuid = (v_msg.message ->> 'step_uuid')::uuid
                                   FOR NO KEY UPDATE SKIP LOCKED)
               AND EXISTS (SELECT 1 FROM tasker.workflow_steps ws
                            WHERE ws.workflow_step_uuid = (v_msg.message ->> 'step_uuid')::uuid);
      v_claim := tasker.claim_step((v_msg.message ->> 'step_uuid')::uuid, p_worker_uuid, v_queue, v_msg.msg_id,
                                   p_default_timeout_seconds, p_lease_grace_seconds);
      IF (v_claim ->> 'claimed')::boolean THEN
        v_continued := jsonb_build_array(v_claim || jsonb_build_object(
          'source', 'backlog', 'msg_id', v_msg.msg_id, 'headers', v_msg.headers));
        EXIT;
      END IF;
      v_skipped := v_skipped || jsonb_build_array(v_claim || jsonb_build_object('msg_id', v_msg.msg_id));
    END LOOP;
  END IF;

  RETURN jsonb_build_object(
    'accepted', true, 'state', 'enqueued_for_orchestration', 'task_uuid', s.task_uuid,
    'correlation_id', t.correlation_id, 'namespace', t.namespace,
    'processed', jsonb_build_object(
      'found', true, 'step_uuid', p_step_uuid, 'task_uuid', s.task_uuid,
      'step_from', 'enqueued_for_orchestration', 'step_to', 'complete', 'attempts', s.attempts,
      'evaluation', coalesce(v_eval, jsonb_build_object(
        'task_uuid', s.task_uuid, 'found', true, 'state', t.state, 'correlation_id', t.correlation_id,
        'namespace', t.namespace, 'transitions', '[]'::jsonb, 'enqueued', '[]'::jsonb))
        || CASE WHEN jsonb_array_length(v_enqueued) > 0 THEN jsonb_build_object('enqueued', v_enqueued)
                ELSE '{}'::jsonb END),
    'continued', v_continued, 'skipped', v_skipped, 'finalize', v_finalize);
END
$$;

-- Completes the tasks whose last steps finished in concurrent transactions (complete_step's
-- finalize = true), once those have committed. Read-only for a task with open steps.
CREATE FUNCTION tasker.finalize_tasks(p_task_uuids uuid[], p_processor_uuid uuid)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_task uuid;
  v_out jsonb := '[]';
BEGIN
  FOR v_task IN
    SELECT t.task_uuid FROM tasker.tasks t
     WHERE t.task_uuid = ANY (p_task_uuids) AND t.state = 'steps_in_process'
       AND NOT EXISTS (SELECT 1 FROM tasker.workflow_steps ws
                        WHERE ws.task_uuid = t.task_uuid AND ws.state NOT IN ('complete', 'resolved_manually'))
     ORDER BY t.task_uuid
  LOOP
    v_out := v_out || jsonb_build_array(tasker.evaluate_task(v_task, p_processor_uuid));
  END LOOP;
  RETURN v_out;
END
$$;
