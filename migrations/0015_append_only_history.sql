-- Append-only history and cheaper writes on the step path.
--
-- The current state is the `state` column of the task and step rows (what every CAS
-- compares); the transitions tables are the history, appended to and never rewritten.
-- Before, every transition also flipped `most_recent` on the previous history row: a
-- non-HOT update of an indexed column per transition, 6 per step. "Latest transition" is
-- now `ORDER BY sort_key DESC LIMIT 1` on the (owner, sort_key) unique key.
--
-- History and audit rows keep no foreign keys: they are written only by the functions
-- of this schema, in the transaction that changes the row they describe, so they are
-- consistent by construction; their FK probes were about 14 index lookups per step.
-- Nothing deletes tasks or steps; a purge must delete their history rows itself.

DROP INDEX tasker.task_transitions_most_recent_idx;
DROP INDEX tasker.workflow_step_transitions_most_recent_idx;
ALTER TABLE tasker.task_transitions DROP COLUMN most_recent;
ALTER TABLE tasker.workflow_step_transitions DROP COLUMN most_recent;

ALTER TABLE tasker.task_transitions DROP CONSTRAINT task_transitions_task_uuid_fkey;
ALTER TABLE tasker.workflow_step_transitions DROP CONSTRAINT workflow_step_transitions_workflow_step_uuid_fkey;
ALTER TABLE tasker.workflow_step_result_audit DROP CONSTRAINT workflow_step_result_audit_workflow_step_uuid_fkey;
ALTER TABLE tasker.workflow_step_result_audit DROP CONSTRAINT workflow_step_result_audit_workflow_step_transition_uuid_fkey;
ALTER TABLE tasker.workflow_step_result_audit DROP CONSTRAINT workflow_step_result_audit_task_uuid_fkey;

-- Room on each page for the new versions of rows updated in place (HOT where no
-- indexed column changes: result, lease, timestamps).
ALTER TABLE tasker.tasks SET (fillfactor = 80);
ALTER TABLE tasker.workflow_steps SET (fillfactor = 70);

-- Indexes only for the states that are queried. Rows in `enqueued` (every step, once)
-- no longer get an entry in the reconciler's index, and readiness discovery reads the
-- two bounded indexes below instead of scanning every ready step (0017).
DROP INDEX tasker.workflow_steps_awaiting_orchestration_idx;
CREATE INDEX workflow_steps_awaiting_orchestration_idx ON tasker.workflow_steps (state_entered_at)
  WHERE state IN ('enqueued_for_orchestration', 'enqueued_as_error_for_orchestration');
DROP INDEX tasker.workflow_steps_ready_idx;
CREATE INDEX workflow_steps_pending_ready_idx ON tasker.workflow_steps (state_entered_at)
  WHERE state = 'pending' AND remaining_dependencies = 0;

-- The CAS functions of 0006, appending one history row and flipping nothing.
CREATE OR REPLACE FUNCTION tasker.transition_task_state(
  p_task_uuid uuid,
  p_from_states text[],
  p_to_state text,
  p_event text,
  p_processor_uuid uuid DEFAULT NULL,
  p_metadata jsonb DEFAULT '{}'
)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_from text;
  v_sort integer;
  v_now timestamptz := clock_timestamp();
BEGIN
  SELECT state INTO v_from FROM tasker.tasks WHERE task_uuid = p_task_uuid FOR NO KEY UPDATE;
  IF v_from IS NULL OR NOT (v_from = ANY (p_from_states)) THEN
    RETURN NULL;
  END IF;
  IF NOT tasker.task_transition_allowed(v_from, p_to_state) THEN
    RAISE EXCEPTION 'task % cannot move from % to % (%)', p_task_uuid, v_from, p_to_state, p_event
      USING ERRCODE = 'TK001';
  END IF;
  UPDATE tasker.tasks t
     SET state = p_to_state,
         state_entered_at = v_now,
         transition_count = t.transition_count + 1,
         complete = t.complete OR p_to_state = 'complete',
         completed_at = CASE WHEN p_to_state IN ('complete', 'error', 'cancelled', 'resolved_manually')
                             THEN v_now ELSE t.completed_at END,
         owner_process_uuid = CASE WHEN p_to_state IN ('complete', 'error', 'cancelled', 'resolved_manually')
                                   THEN NULL ELSE coalesce(p_processor_uuid, t.owner_process_uuid) END,
         updated_at = v_now
   WHERE t.task_uuid = p_task_uuid
  RETURNING t.transition_count INTO v_sort;
  INSERT INTO tasker.task_transitions
    (task_uuid, from_state, to_state, event, metadata, sort_key, processor_uuid, created_at, updated_at)
  VALUES (p_task_uuid, v_from, p_to_state, p_event, coalesce(p_metadata, '{}'), v_sort, p_processor_uuid, v_now, v_now);
  RETURN v_from;
END
$$;

CREATE OR REPLACE FUNCTION tasker.transition_step_state(
  p_step_uuid uuid,
  p_from_states text[],
  p_to_state text,
  p_event text,
  p_metadata jsonb DEFAULT '{}'
)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_from text;
  v_sort integer;
  v_now timestamptz := clock_timestamp();
BEGIN
  SELECT state INTO v_from FROM tasker.workflow_steps WHERE workflow_step_uuid = p_step_uuid FOR NO KEY UPDATE;
  IF v_from IS NULL OR NOT (v_from = ANY (p_from_states)) THEN
    RETURN NULL;
  END IF;
  IF NOT tasker.step_transition_allowed(v_from, p_to_state) THEN
    RAISE EXCEPTION 'step % cannot move from % to % (%)', p_step_uuid, v_from, p_to_state, p_event
      USING ERRCODE = 'TK001';
  END IF;
  UPDATE tasker.workflow_steps s
     SET state = p_to_state,
         state_entered_at = v_now,
         transition_count = s.transition_count + 1,
         in_process = p_to_state = 'in_progress',
         processed = p_to_state IN ('complete', 'cancelled', 'resolved_manually'),
         processed_at = CASE WHEN p_to_state IN ('complete', 'cancelled', 'resolved_manually')
                             THEN v_now ELSE s.processed_at END,
         claimed_by = CASE WHEN p_to_state = 'in_progress' THEN s.claimed_by END,
         lease_expires_at = CASE WHEN p_to_state = 'in_progress' THEN s.lease_expires_at END,
         next_retry_at = CASE WHEN p_to_state = 'waiting_for_retry' THEN s.next_retry_at END,
         updated_at = v_now
   WHERE s.workflow_step_uuid = p_step_uuid
  RETURNING s.transition_count INTO v_sort;
  INSERT INTO tasker.workflow_step_transitions
    (workflow_step_uuid, from_state, to_state, event, metadata, sort_key, created_at, updated_at)
  VALUES (p_step_uuid, v_from, p_to_state, p_event, coalesce(p_metadata, '{}'), v_sort, v_now, v_now);
  IF p_to_state IN ('complete', 'resolved_manually') THEN
    UPDATE tasker.workflow_steps child
       SET remaining_dependencies = child.remaining_dependencies - 1, updated_at = v_now
      FROM tasker.workflow_step_edges e
     WHERE e.from_step_uuid = p_step_uuid AND child.workflow_step_uuid = e.to_step_uuid;
  END IF;
  RETURN v_from;
END
$$;

-- create_task of 0008 without most_recent.
CREATE OR REPLACE FUNCTION tasker.create_task(p_request jsonb, p_processor_uuid uuid, p_headers jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_task uuid := (p_request ->> 'task_uuid')::uuid;
  v_named_task uuid := (p_request ->> 'named_task_uuid')::uuid;
  v_config jsonb;
  v_now timestamptz := clock_timestamp();
BEGIN
  SELECT configuration INTO v_config FROM tasker.named_tasks WHERE named_task_uuid = v_named_task;
  IF v_config IS NULL THEN
    RAISE EXCEPTION 'template % is not registered', v_named_task USING ERRCODE = 'TK002';
  END IF;
  IF jsonb_array_length(coalesce(v_config -> 'steps', '[]')) = 0 THEN
    RAISE EXCEPTION 'template % has no steps', v_named_task USING ERRCODE = 'TK003';
  END IF;

  INSERT INTO tasker.tasks (
    task_uuid, named_task_uuid, state, state_entered_at, transition_count, requested_at, initiator,
    source_system, reason, tags, context, identity_hash, idempotency_key, priority, correlation_id,
    parent_correlation_id, trace_context, owner_process_uuid, created_at, updated_at)
  VALUES (
    v_task, v_named_task, 'pending', v_now, 1, v_now, p_request ->> 'initiator',
    p_request ->> 'source_system', p_request ->> 'reason', coalesce(p_request -> 'tags', '[]'),
    coalesce(p_request -> 'context', '{}'), p_request ->> 'identity_hash', p_request ->> 'idempotency_key',
    coalesce((p_request ->> 'priority')::int, 0), (p_request ->> 'correlation_id')::uuid,
    (p_request ->> 'parent_correlation_id')::uuid, p_request -> 'trace_context', p_processor_uuid, v_now, v_now);
  INSERT INTO tasker.task_transitions (task_uuid, from_state, to_state, event, metadata, sort_key,
                                       processor_uuid, created_at, updated_at)
  VALUES (v_task, NULL, 'pending', 'initialize', '{"from_service":"task_initializer"}', 1,
          p_processor_uuid, v_now, v_now);

  -- Step names are a global registry.
  INSERT INTO tasker.named_steps (name)
  SELECT DISTINCT step ->> 'name' FROM jsonb_array_elements(v_config -> 'steps') AS step
  ON CONFLICT (name) DO NOTHING;

  -- One statement: the CTE `n` gives every step its uuid once; RI checks of the
  -- sibling inserts run at the end of the statement.
  WITH n AS MATERIALIZED (
    SELECT step ->> 'name' AS name, tasker.uuid_generate_v7() AS workflow_step_uuid, step AS definition,
           (ordinality - 1)::int AS position
      FROM jsonb_array_elements(v_config -> 'steps') WITH ORDINALITY AS steps(step, ordinality)
  ), new_steps AS (
    INSERT INTO tasker.workflow_steps (
      workflow_step_uuid, task_uuid, named_step_uuid, position, state, state_entered_at, transition_count,
      remaining_dependencies, retryable, max_attempts, backoff, backoff_base_ms, max_backoff_ms,
      timeout_seconds, inputs, created_at, updated_at)
    SELECT n.workflow_step_uuid, v_task, ns.named_step_uuid, n.position, 'pending', v_now, 1,
           jsonb_array_length(coalesce(n.definition -> 'dependencies', '[]')),
           coalesce((n.definition #>> '{retry,retryable}')::boolean, true),
           coalesce((n.definition #>> '{retry,max_attempts}')::int, 3),
           coalesce(n.definition #>> '{retry,backoff}', 'exponential'),
           coalesce((n.definition #>> '{retry,backoff_base_ms}')::int, 1000),
           coalesce((n.definition #>> '{retry,max_backoff_ms}')::int, 30000),
           (n.definition ->> 'timeout_seconds')::int,
           nullif(coalesce(n.definition #> '{handler,initialization}', '{}'), '{}'),
           v_now, v_now
      FROM n
      JOIN tasker.named_steps ns ON ns.name = n.name
    RETURNING 1
  ), new_edges AS (
    INSERT INTO tasker.workflow_step_edges (from_step_uuid, to_step_uuid, name, created_at, updated_at)
    SELECT parent.workflow_step_uuid, child.workflow_step_uuid, 'provides', v_now, v_now
      FROM n child
     CROSS JOIN LATERAL jsonb_array_elements_text(coalesce(child.definition -> 'dependencies', '[]')) AS dep(name)
      JOIN n parent ON parent.name = dep.name
    RETURNING 1
  )
  INSERT INTO tasker.workflow_step_transitions (workflow_step_uuid, from_state, to_state, event, metadata,
                                                sort_key, created_at, updated_at)
  SELECT workflow_step_uuid, NULL, 'pending', 'initialize', '{"from_service":"task_initializer"}', 1, v_now, v_now
    FROM n;

  RETURN tasker.evaluate_task(v_task, p_processor_uuid, p_headers)
         || jsonb_build_object('created', true, 'total_steps', jsonb_array_length(v_config -> 'steps'));
END
$$;

-- submit_step_result of 0009 (the step path before 0016, kept so its callers keep working):
-- the latest transition is the one with the highest sort_key.
CREATE OR REPLACE FUNCTION tasker.submit_step_result(
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
    FROM tasker.workflow_step_transitions WHERE workflow_step_uuid = p_step_uuid ORDER BY sort_key DESC LIMIT 1;
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
