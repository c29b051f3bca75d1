-- Operator actions: cancel a task, and reset, resolve or complete a step by hand.
-- Each is one transaction that checks the state machine, acts, and re-evaluates
-- the task (so a task blocked by a failed step moves on once the step is fixed).

-- Archives the queued (unread or in-flight) messages of the given steps from a worker queue.
CREATE FUNCTION tasker.archive_step_messages(p_queue_name text, p_step_uuids uuid[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_ids bigint[];
BEGIN
  IF p_step_uuids IS NULL OR cardinality(p_step_uuids) = 0
     OR NOT EXISTS (SELECT 1 FROM pgmq.meta m WHERE m.queue_name = p_queue_name) THEN
    RETURN 0;
  END IF;
  PERFORM tasker.assert_queue_name(p_queue_name);
  EXECUTE format('SELECT array_agg(msg_id) FROM pgmq.%I WHERE (message ->> ''step_uuid'')::uuid = ANY ($1)',
                 'q_' || p_queue_name)
     INTO v_ids USING p_step_uuids;
  IF v_ids IS NULL THEN
    RETURN 0;
  END IF;
  RETURN (SELECT count(*) FROM pgmq.archive(p_queue_name, v_ids))::int;
END
$$;

-- Cancels a task: every unfinished step (error included) becomes cancelled, their
-- queued messages are archived, and the task becomes cancelled. A handler already
-- running finishes, but its result is refused (the step is no longer in_progress).
CREATE FUNCTION tasker.cancel_task(p_task_uuid uuid, p_processor_uuid uuid, p_metadata jsonb DEFAULT '{}')
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t record;
  s record;
  v_cancelled uuid[] := '{}';
  v_steps jsonb := '[]';
  v_archived integer;
BEGIN
  SELECT tk.state, tk.correlation_id, ns.name AS namespace
    INTO t
    FROM tasker.tasks tk
    JOIN tasker.named_tasks nt USING (named_task_uuid)
    JOIN tasker.task_namespaces ns USING (task_namespace_uuid)
   WHERE tk.task_uuid = p_task_uuid
     FOR NO KEY UPDATE OF tk;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('found', false);
  END IF;
  IF t.state IN ('complete', 'error', 'cancelled', 'resolved_manually') THEN
    RETURN jsonb_build_object('found', true, 'cancelled', false, 'state', t.state);
  END IF;
  FOR s IN
    SELECT workflow_step_uuid, state FROM tasker.workflow_steps
     WHERE task_uuid = p_task_uuid AND state NOT IN ('complete', 'cancelled', 'resolved_manually')
     ORDER BY workflow_step_uuid
       FOR NO KEY UPDATE
  LOOP
    PERFORM tasker.transition_step_state(s.workflow_step_uuid, ARRAY[s.state], 'cancelled', 'cancel', p_metadata);
    v_cancelled := v_cancelled || s.workflow_step_uuid;
    v_steps := v_steps || jsonb_build_array(jsonb_build_object('step_uuid', s.workflow_step_uuid, 'from_state', s.state));
  END LOOP;
  v_archived := tasker.archive_step_messages('worker_' || t.namespace || '_queue', v_cancelled);
  PERFORM tasker.transition_task_state(p_task_uuid, ARRAY[t.state], 'cancelled', 'cancel', p_processor_uuid, p_metadata);
  RETURN jsonb_build_object('found', true, 'cancelled', true, 'task_uuid', p_task_uuid, 'from_state', t.state,
                            'correlation_id', t.correlation_id, 'namespace', t.namespace, 'steps', v_steps,
                            'cancelled_steps', cardinality(v_cancelled), 'archived_messages', v_archived);
END
$$;

-- reset_for_retry: error -> pending with attempts 0; resolve_manually: any unfinished
-- state -> resolved_manually; complete_manually: any unfinished state -> complete with
-- the operator's result stored like a handler's. Refused on a finished task or for a
-- transition the step machine does not allow. Returns ok=false with the reason then.
CREATE FUNCTION tasker.apply_step_action(
  p_task_uuid uuid, p_step_uuid uuid, p_action text, p_payload jsonb, p_processor_uuid uuid
)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_task_state text;
  s record;
  v_to text;
  v_event text;
  v_eval jsonb;
  v_by text;
  v_ns text;
BEGIN
  SELECT tk.state, ns.name INTO v_task_state, v_ns
    FROM tasker.tasks tk
    JOIN tasker.named_tasks nt USING (named_task_uuid)
    JOIN tasker.task_namespaces ns USING (task_namespace_uuid)
   WHERE tk.task_uuid = p_task_uuid FOR NO KEY UPDATE OF tk;
  IF v_task_state IS NULL THEN
    RETURN jsonb_build_object('found', false, 'what', 'task');
  END IF;
  SELECT workflow_step_uuid, task_uuid, state, attempts, (SELECT name FROM tasker.named_steps n
                                                        WHERE n.named_step_uuid = ws.named_step_uuid) AS name
    INTO s
    FROM tasker.workflow_steps ws WHERE workflow_step_uuid = p_step_uuid FOR NO KEY UPDATE OF ws;
  IF NOT FOUND OR s.task_uuid <> p_task_uuid THEN
    RETURN jsonb_build_object('found', false, 'what', 'step');
  END IF;
  IF v_task_state IN ('complete', 'error', 'cancelled', 'resolved_manually') THEN
    RETURN jsonb_build_object('found', true, 'ok', false, 'from_state', s.state,
      'reason', format('the task is %s; steps of a finished task cannot change', v_task_state));
  END IF;

  v_to := CASE p_action WHEN 'reset_for_retry' THEN 'pending'
                        WHEN 'resolve_manually' THEN 'resolved_manually'
                        WHEN 'complete_manually' THEN 'complete' END;
  IF v_to IS NULL THEN
    RETURN jsonb_build_object('found', true, 'ok', false, 'from_state', s.state,
                              'reason', format('unknown action %s', p_action));
  END IF;
  IF (p_action = 'reset_for_retry' AND s.state <> 'error') OR NOT tasker.step_transition_allowed(s.state, v_to) THEN
    RETURN jsonb_build_object('found', true, 'ok', false, 'from_state', s.state,
      'reason', format('invalid transition: a step in %s cannot be changed by %s', s.state, p_action));
  END IF;
  v_event := p_action;
  v_by := coalesce(p_payload ->> 'reset_by', p_payload ->> 'resolved_by', p_payload ->> 'completed_by');
  PERFORM tasker.transition_step_state(p_step_uuid, ARRAY[s.state], v_to, v_event,
    jsonb_build_object('reason', p_payload ->> 'reason', 'by', v_by, 'manual', true));

  IF p_action = 'reset_for_retry' THEN
    UPDATE tasker.workflow_steps
       SET attempts = 0, next_retry_at = NULL, backoff_request_seconds = NULL
     WHERE workflow_step_uuid = p_step_uuid;
  ELSIF p_action = 'complete_manually' THEN
    UPDATE tasker.workflow_steps
       SET results = jsonb_build_object(
             'step_uuid', p_step_uuid, 'success', true, 'status', 'completed',
             'result', p_payload #> '{completion_data,result}', 'error', NULL,
             'metadata', jsonb_build_object(
               'retryable', false, 'attempt', s.attempts,
               'custom', coalesce(p_payload #> '{completion_data,metadata}', '{}') || jsonb_build_object(
                 'manually_completed', true, 'completed_by', v_by, 'completion_reason', p_payload ->> 'reason')))
     WHERE workflow_step_uuid = p_step_uuid;
  END IF;
  -- A message still queued for this step is stale now.
  IF s.state = 'enqueued' THEN
    PERFORM tasker.archive_step_messages('worker_' || v_ns || '_queue', ARRAY[p_step_uuid]);
  END IF;

  v_eval := tasker.evaluate_task(p_task_uuid, p_processor_uuid);
  RETURN jsonb_build_object('found', true, 'ok', true, 'from_state', s.state, 'to_state', v_to,
                            'step_name', s.name, 'task_state', v_eval ->> 'state', 'evaluation', v_eval);
END
$$;
