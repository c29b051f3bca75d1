-- State machines: which transitions exist, and the compare-and-swap functions that
-- are the only writers of task and step state. The TypeScript tables in
-- src/orchestration/stateMachine.ts mirror task_transition_allowed and
-- step_transition_allowed; a test compares them pair by pair.
--
-- Small SQL functions on the hot path (here and in 0004, 0007, 0010, 0012) do not
-- pin search_path: a SET clause stops the planner from inlining them, which costs
-- a function call per row. They reference only pg_catalog operators and
-- schema-qualified names, so an unpinned search_path cannot redirect them.

CREATE FUNCTION tasker.task_transition_allowed(from_state text, to_state text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE
    -- terminal states are never left
    WHEN from_state IN ('complete', 'error', 'cancelled', 'resolved_manually') THEN false
    -- an operator may cancel or resolve any unfinished task
    WHEN to_state IN ('cancelled', 'resolved_manually') THEN true
    ELSE (from_state, to_state) IN (
      ('pending', 'initializing'),
      ('pending', 'error'),
      ('initializing', 'enqueuing_steps'),
      ('initializing', 'complete'),
      ('initializing', 'waiting_for_dependencies'),
      ('initializing', 'error'),
      ('enqueuing_steps', 'steps_in_process'),
      ('enqueuing_steps', 'error'),
      ('steps_in_process', 'evaluating_results'),
      ('steps_in_process', 'error'),
      ('evaluating_results', 'enqueuing_steps'),
      ('evaluating_results', 'complete'),
      ('evaluating_results', 'waiting_for_dependencies'),
      ('evaluating_results', 'blocked_by_failures'),
      ('evaluating_results', 'error'),
      ('waiting_for_dependencies', 'evaluating_results'),
      ('waiting_for_dependencies', 'error'),
      ('waiting_for_retry', 'evaluating_results'),
      ('waiting_for_retry', 'enqueuing_steps'),
      ('waiting_for_retry', 'error'),
      ('blocked_by_failures', 'evaluating_results'),
      ('blocked_by_failures', 'error'))
  END
$$;

CREATE FUNCTION tasker.step_transition_allowed(from_state text, to_state text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE
    WHEN from_state IN ('complete', 'cancelled', 'resolved_manually') THEN false
    -- operator actions and task cancellation reach every unfinished step
    WHEN to_state IN ('cancelled', 'resolved_manually') THEN true
    WHEN to_state = 'complete' THEN from_state IN (
      'pending', 'enqueued', 'in_progress', 'enqueued_for_orchestration',
      'enqueued_as_error_for_orchestration', 'waiting_for_retry', 'error')
    ELSE (from_state, to_state) IN (
      ('pending', 'enqueued'),
      ('pending', 'error'),
      ('enqueued', 'in_progress'),
      ('enqueued', 'error'),
      ('in_progress', 'enqueued_for_orchestration'),
      ('in_progress', 'enqueued_as_error_for_orchestration'),
      ('in_progress', 'error'),
      ('enqueued_for_orchestration', 'error'),
      ('enqueued_as_error_for_orchestration', 'waiting_for_retry'),
      ('enqueued_as_error_for_orchestration', 'error'),
      ('waiting_for_retry', 'pending'),
      ('waiting_for_retry', 'error'),
      ('error', 'pending'))
  END
$$;

-- Moves a task from one of `from_states` to `to_state` and appends the history row,
-- in one locked step. Returns the state it left, or NULL when the task was not in
-- any of `from_states` (somebody else moved it first: callers treat that as a no-op).
-- A transition the machine does not allow raises SQLSTATE TK001.
CREATE FUNCTION tasker.transition_task_state(
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
  -- Lock first (FOR NO KEY UPDATE: the key never changes, so foreign-key checks of
  -- rows that reference the task are not blocked), then check, then move.
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
  -- The previous row stops being most recent before the new one is inserted (the
  -- INSERT reads the CTE, so it runs after it).
  WITH previous AS (
    UPDATE tasker.task_transitions SET most_recent = false, updated_at = v_now
     WHERE task_uuid = p_task_uuid AND most_recent
    RETURNING 1
  )
  INSERT INTO tasker.task_transitions
    (task_uuid, from_state, to_state, event, metadata, sort_key, most_recent, processor_uuid, created_at, updated_at)
  SELECT p_task_uuid, v_from, p_to_state, p_event, coalesce(p_metadata, '{}'), v_sort, true, p_processor_uuid, v_now, v_now
    FROM (SELECT count(*) FROM previous) AS settled;
  RETURN v_from;
END
$$;

-- The same for a step, with the column side effects of each state and the
-- dependency bookkeeping: entering complete or resolved_manually decrements the
-- children's remaining_dependencies (both states are final, so it happens once).
CREATE FUNCTION tasker.transition_step_state(
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
  WITH previous AS (
    UPDATE tasker.workflow_step_transitions SET most_recent = false, updated_at = v_now
     WHERE workflow_step_uuid = p_step_uuid AND most_recent
    RETURNING 1
  )
  INSERT INTO tasker.workflow_step_transitions
    (workflow_step_uuid, from_state, to_state, event, metadata, sort_key, most_recent, created_at, updated_at)
  SELECT p_step_uuid, v_from, p_to_state, p_event, coalesce(p_metadata, '{}'), v_sort, true, v_now, v_now
    FROM (SELECT count(*) FROM previous) AS settled;
  IF p_to_state IN ('complete', 'resolved_manually') THEN
    UPDATE tasker.workflow_steps child
       SET remaining_dependencies = child.remaining_dependencies - 1, updated_at = v_now
      FROM tasker.workflow_step_edges e
     WHERE e.from_step_uuid = p_step_uuid AND child.workflow_step_uuid = e.to_step_uuid;
  END IF;
  RETURN v_from;
END
$$;
