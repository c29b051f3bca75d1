-- Task creation: one transaction creates the task, its steps (from the template
-- JSON stored in named_tasks.configuration), the dependency edges and the initial
-- transitions, then evaluates it so the root steps are enqueued before commit.
-- A duplicate identity_hash raises unique_violation (23505) on tasks_identity_hash_idx.
--
-- p_request: { task_uuid, named_task_uuid, identity_hash, idempotency_key, context,
--              initiator, source_system, reason, tags, priority, correlation_id,
--              parent_correlation_id, trace_context }
CREATE FUNCTION tasker.create_task(p_request jsonb, p_processor_uuid uuid, p_headers jsonb DEFAULT NULL)
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
  INSERT INTO tasker.task_transitions (task_uuid, from_state, to_state, event, metadata, sort_key, most_recent,
                                       processor_uuid, created_at, updated_at)
  VALUES (v_task, NULL, 'pending', 'initialize', '{"from_service":"task_initializer"}', 1, true,
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
                                                sort_key, most_recent, created_at, updated_at)
  SELECT workflow_step_uuid, NULL, 'pending', 'initialize', '{"from_service":"task_initializer"}', 1, true, v_now, v_now
    FROM n;

  RETURN tasker.evaluate_task(v_task, p_processor_uuid, p_headers)
         || jsonb_build_object('created', true, 'total_steps', jsonb_array_length(v_config -> 'steps'));
END
$$;
