-- claim_step refuses a message that names a step of another namespace: before, a worker
-- claimed whatever step its queue's message named, so a forged message could make a worker of
-- one namespace fail another namespace's step with handler_not_found.

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
  v_from text;
  v_queue text;
  v_now timestamptz := clock_timestamp();
  s record;
  v_deps jsonb;
BEGIN
  -- A step is claimed only through its own namespace's queue: a message naming a step of
  -- another namespace (forged, or sent to the wrong queue) is archived and refused, and the
  -- step is left as it was.
  IF p_queue_name IS NOT NULL THEN
    SELECT 'worker_' || nsp.name || '_queue' INTO v_queue
      FROM tasker.workflow_steps ws
      JOIN tasker.tasks t USING (task_uuid)
      JOIN tasker.named_tasks nt USING (named_task_uuid)
      JOIN tasker.task_namespaces nsp USING (task_namespace_uuid)
     WHERE ws.workflow_step_uuid = p_step_uuid;
    IF v_queue <> p_queue_name THEN
      IF p_msg_id IS NOT NULL THEN
        PERFORM pgmq.archive(p_queue_name, p_msg_id);
      END IF;
      RETURN jsonb_build_object('claimed', false, 'step_uuid', p_step_uuid,
        'state', (SELECT state FROM tasker.workflow_steps WHERE workflow_step_uuid = p_step_uuid),
        'refused', 'wrong_queue', 'step_queue', v_queue);
    END IF;
  END IF;

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
