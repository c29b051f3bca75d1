-- Dynamic workflows: steps that a result creates, and checkpoints.
--
-- A `decision` step's branches and a `batchable` step's batch workers are not created with
-- the task. The worker that completes such a step reads the task's steps under the task's
-- lock, plans what the outcome creates from the template (src/templates/planStepOutcome.ts)
-- and, in the same transaction and before complete_step, calls create_outcome_steps: the new
-- steps count the completing step among their unfinished parents, so complete_step's children
-- pass decrements them and enqueues (or continues) the ready ones, as for any child.
--
--   BEGIN
--     SELECT tasker.hold_step_for_outcome(step, worker, attempt)   -- own step (fenced), task, its steps
--     (plan in the worker)
--     SELECT tasker.create_outcome_steps(step, worker, plan)       -- steps, edges, history
--     SELECT tasker.complete_step(...)                             -- as for any step
--   COMMIT
--
-- An outcome that cannot be applied is completed as a permanent failure instead, and nothing
-- is created. A retried call after a lost reply is refused by complete_step's fence, and the
-- transaction that created steps is the one that completed the step, so nothing is created twice.

-- Steps and edges are written only by this schema's functions (create_task, and now
-- create_outcome_steps), in the transaction that creates their task or completes the step whose
-- outcome adds them, from rows those functions just read or wrote: consistent by construction,
-- as the history tables are (0015). Their foreign keys cost one RI trigger query per row, about
-- 25 us each: 600 of them, 16 of the 22 ms, when an analyzer creates 100 batch steps, and two per
-- edge for every task created. Nothing deletes tasks or steps; a purge deletes edges, steps and
-- history itself.
ALTER TABLE tasker.workflow_step_edges
  DROP CONSTRAINT workflow_step_edges_from_step_uuid_fkey,
  DROP CONSTRAINT workflow_step_edges_to_step_uuid_fkey;
ALTER TABLE tasker.workflow_steps
  DROP CONSTRAINT workflow_steps_task_uuid_fkey,
  DROP CONSTRAINT workflow_steps_named_step_uuid_fkey;

ALTER TABLE tasker.workflow_steps
  -- The template step this one was made from, when it differs from its name (batch workers).
  ADD COLUMN template_step_name varchar(128),
  -- The step whose result created this one; NULL for steps created with the task.
  ADD COLUMN created_by_step_uuid uuid;

-- create_task of 0015, creating only the steps named in p_request.initial_steps (the template
-- steps outside decisions and batch templates, src/templates/templateGraph.ts) when given.
CREATE OR REPLACE FUNCTION tasker.create_task(p_request jsonb, p_processor_uuid uuid, p_headers jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_task uuid := (p_request ->> 'task_uuid')::uuid;
  v_named_task uuid := (p_request ->> 'named_task_uuid')::uuid;
  v_initial jsonb := p_request -> 'initial_steps';
  v_config jsonb;
  v_total integer;
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

  WITH n AS MATERIALIZED (
    SELECT step ->> 'name' AS name, tasker.uuid_generate_v7() AS workflow_step_uuid, step AS definition,
           (ordinality - 1)::int AS position
      FROM jsonb_array_elements(v_config -> 'steps') WITH ORDINALITY AS steps(step, ordinality)
     WHERE v_initial IS NULL OR v_initial ? (step ->> 'name')
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
  GET DIAGNOSTICS v_total = ROW_COUNT;
  IF v_total = 0 THEN
    RAISE EXCEPTION 'template % has no step to start with', v_named_task USING ERRCODE = 'TK003';
  END IF;

  RETURN tasker.evaluate_task(v_task, p_processor_uuid, p_headers)
         || jsonb_build_object('created', true, 'total_steps', v_total);
END
$$;

-- step_claim_context of 0016, with the template step a batch worker was made from (its handler)
-- and the step's last checkpoint.
CREATE OR REPLACE FUNCTION tasker.step_claim_context(p_step_uuid uuid)
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
        'step_uuid', s.workflow_step_uuid, 'name', st.name,
        'template_step_name', coalesce(s.template_step_name, st.name), 'attempt', s.attempts,
        'max_attempts', s.max_attempts, 'retryable', s.retryable, 'inputs', coalesce(s.inputs, '{}'),
        'timeout_seconds', s.timeout_seconds, 'checkpoint', s.checkpoint),
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

-- A task's steps as an outcome's plan reads them (src/templates/planStepOutcome.ts ExistingStep):
-- name, the template step it was made from, state. The caller holds the task's lock.
CREATE FUNCTION tasker.task_steps_for_planning(p_task_uuid uuid)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_object('name', ns.name,
                                               'templateStepName', coalesce(ws.template_step_name, ns.name),
                                               'state', ws.state)), '[]')
    FROM tasker.workflow_steps ws JOIN tasker.named_steps ns USING (named_step_uuid)
   WHERE ws.task_uuid = p_task_uuid
$$;

-- The first call of an outcome's completion: locks the completing step if this worker's attempt
-- still holds it (complete_step's fence conditions), then its task, and returns the task's state
-- and steps as they are under that lock, for planning. NULL when the fence does not match (complete_step
-- will refuse the result).
CREATE FUNCTION tasker.hold_step_for_outcome(p_step_uuid uuid, p_worker_uuid uuid, p_attempt integer)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_task uuid;
  v_task_state text;
  v_steps jsonb;
BEGIN
  SELECT task_uuid INTO v_task FROM tasker.workflow_steps
   WHERE workflow_step_uuid = p_step_uuid AND state = 'in_progress' AND attempts = p_attempt
     AND claimed_by = p_worker_uuid
     FOR NO KEY UPDATE;
  IF v_task IS NULL THEN
    RETURN NULL;
  END IF;
  SELECT state INTO v_task_state FROM tasker.tasks WHERE task_uuid = v_task FOR NO KEY UPDATE;
  v_steps := tasker.task_steps_for_planning(v_task);
  RETURN jsonb_build_object('task_uuid', v_task, 'task_state', v_task_state, 'steps', v_steps);
END
$$;

-- Creates the steps a finished step's outcome planned, with their edges and first history row,
-- and links steps that exist and still wait (late edges). Called by the completing worker,
-- holding the completing step and the task, before complete_step; the completing step is still
-- in_progress, so each new child counts it among its unfinished parents. p_plan:
--   { steps: [{step_uuid, name, template_step_name, position, retryable, max_attempts, backoff,
--              backoff_base_ms, max_backoff_ms, timeout_seconds, inputs,
--              parents: [{name, edge}]}],
--     late_edges: [{from, to, edge}], outcome }
CREATE FUNCTION tasker.create_outcome_steps(p_step_uuid uuid, p_worker_uuid uuid, p_plan jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_task uuid;
  v_now timestamptz := clock_timestamp();
  v_created jsonb;
  v_late integer := 0;
  v_steps jsonb;
  v_expected integer;
  v_edges integer;
  e record;
  v_to uuid;
BEGIN
  SELECT task_uuid INTO v_task FROM tasker.workflow_steps WHERE workflow_step_uuid = p_step_uuid;
  IF v_task IS NULL THEN
    RAISE EXCEPTION 'step % does not exist', p_step_uuid USING ERRCODE = 'TK004';
  END IF;
  IF jsonb_array_length(coalesce(p_plan -> 'steps', '[]')) = 0 AND jsonb_array_length(coalesce(p_plan -> 'late_edges', '[]')) = 0 THEN
    RETURN jsonb_build_object('task_uuid', v_task, 'created', '[]'::jsonb, 'late_edges', 0);
  END IF;

  INSERT INTO tasker.named_steps (name)
  SELECT DISTINCT s ->> 'name' FROM jsonb_array_elements(p_plan -> 'steps') AS s
  ON CONFLICT (name) DO NOTHING;

  v_steps := coalesce(p_plan -> 'steps', '[]');
  SELECT coalesce(sum(jsonb_array_length(x -> 'parents')), 0)::int INTO v_expected
    FROM jsonb_array_elements(v_steps) AS x;

  WITH o AS MATERIALIZED (
    SELECT x ->> 'name' AS name, (x ->> 'step_uuid')::uuid AS uuid, x AS def FROM jsonb_array_elements(v_steps) AS x
  ), known AS (
    SELECT ns.name, ws.workflow_step_uuid AS uuid, ws.state
      FROM tasker.workflow_steps ws JOIN tasker.named_steps ns USING (named_step_uuid)
     WHERE ws.task_uuid = v_task
    UNION ALL
    SELECT o.name, o.uuid, 'pending' FROM o
  ), parents AS MATERIALIZED (
    SELECT o.uuid AS child, k.uuid AS parent, k.state, p ->> 'edge' AS edge
      FROM o
     CROSS JOIN LATERAL jsonb_array_elements(o.def -> 'parents') AS p
      JOIN known k ON k.name = p ->> 'name'
  ), new_steps AS (
    INSERT INTO tasker.workflow_steps (
      workflow_step_uuid, task_uuid, named_step_uuid, position, state, state_entered_at, transition_count,
      remaining_dependencies, retryable, max_attempts, backoff, backoff_base_ms, max_backoff_ms,
      timeout_seconds, inputs, template_step_name, created_by_step_uuid, created_at, updated_at)
    SELECT o.uuid, v_task, ns.named_step_uuid, (o.def ->> 'position')::int, 'pending', v_now, 1,
           (SELECT count(*) FROM parents p WHERE p.child = o.uuid AND p.state NOT IN ('complete', 'resolved_manually')),
           (o.def ->> 'retryable')::boolean, (o.def ->> 'max_attempts')::int, o.def ->> 'backoff',
           (o.def ->> 'backoff_base_ms')::int, (o.def ->> 'max_backoff_ms')::int, (o.def ->> 'timeout_seconds')::int,
           nullif(coalesce(o.def -> 'inputs', '{}'), '{}'),
           nullif(o.def ->> 'template_step_name', o.name), p_step_uuid, v_now, v_now
      FROM o
      JOIN tasker.named_steps ns ON ns.name = o.name
    RETURNING 1
  ), history AS (
    INSERT INTO tasker.workflow_step_transitions (workflow_step_uuid, from_state, to_state, event, metadata,
                                                  sort_key, created_at, updated_at)
    SELECT o.uuid, NULL, 'pending', 'initialize',
           jsonb_build_object('from_service', 'outcome', 'created_by_step_uuid', p_step_uuid,
                              'outcome', p_plan ->> 'outcome', 'worker_uuid', p_worker_uuid), 1, v_now, v_now
      FROM o
    RETURNING 1
  ), new_edges AS (
    INSERT INTO tasker.workflow_step_edges (from_step_uuid, to_step_uuid, name, created_at, updated_at)
    SELECT p.parent, p.child, p.edge, v_now, v_now FROM parents p
    RETURNING 1
  )
  SELECT count(*)::int INTO v_edges FROM new_edges;
  -- Every parent must be a step of the task or of this plan (the plan was made under the task's
  -- lock): an edge that found no parent would leave its step waiting for nothing.
  IF v_edges <> v_expected THEN
    RAISE EXCEPTION 'the plan names % parent edges, % of them are steps of task %', v_expected, v_edges, v_task
      USING ERRCODE = 'TK004';
  END IF;

  -- Steps that exist, still wait, and declared one of the new steps: they wait for it too.
  FOR e IN
    SELECT x ->> 'from' AS from_name, x ->> 'to' AS to_name, x ->> 'edge' AS edge
      FROM jsonb_array_elements(coalesce(p_plan -> 'late_edges', '[]')) AS x
     ORDER BY x ->> 'to'
  LOOP
    UPDATE tasker.workflow_steps ws
       SET remaining_dependencies = ws.remaining_dependencies + 1, updated_at = v_now
      FROM tasker.named_steps ns
     WHERE ws.task_uuid = v_task AND ns.named_step_uuid = ws.named_step_uuid AND ns.name = e.to_name
       AND ws.state = 'pending'
    RETURNING ws.workflow_step_uuid INTO v_to;
    IF FOUND THEN
      INSERT INTO tasker.workflow_step_edges (from_step_uuid, to_step_uuid, name, created_at, updated_at)
      SELECT (x ->> 'step_uuid')::uuid, v_to, e.edge, v_now, v_now
        FROM jsonb_array_elements(v_steps) AS x WHERE x ->> 'name' = e.from_name;
      v_late := v_late + 1;
    END IF;
  END LOOP;

  SELECT coalesce(jsonb_agg(jsonb_build_object('step_uuid', x ->> 'step_uuid', 'name', x ->> 'name',
                                               'template_step_name', x ->> 'template_step_name')
                            ORDER BY (x ->> 'position')::int, x ->> 'name'), '[]')
    INTO v_created FROM jsonb_array_elements(v_steps) AS x;
  RETURN jsonb_build_object('task_uuid', v_task, 'created', v_created, 'late_edges', v_late);
END
$$;

-- Saves a step's checkpoint for the attempt that holds it (fenced like complete_step) and
-- renews its lease: a step that checkpoints is alive. The history keeps the last 100 cursors.
CREATE FUNCTION tasker.save_checkpoint(
  p_step_uuid uuid,
  p_worker_uuid uuid,
  p_attempt integer,
  p_checkpoint jsonb,
  p_default_timeout_seconds integer,
  p_lease_grace_seconds integer
)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_now timestamptz := clock_timestamp();
  v_saved jsonb;
BEGIN
  UPDATE tasker.workflow_steps ws
     SET checkpoint = jsonb_build_object(
           'cursor', p_checkpoint -> 'cursor',
           'items_processed', p_checkpoint -> 'items_processed',
           'accumulated_results', p_checkpoint -> 'accumulated_results',
           'timestamp', v_now,
           'attempt', p_attempt,
           'history', (SELECT coalesce(jsonb_agg(h ORDER BY n), '[]')
                         FROM jsonb_array_elements(coalesce(ws.checkpoint -> 'history', '[]')
                                || jsonb_build_array(jsonb_build_object(
                                     'cursor', p_checkpoint -> 'cursor',
                                     'items_processed', p_checkpoint -> 'items_processed',
                                     'timestamp', v_now, 'attempt', p_attempt)))
                              WITH ORDINALITY AS x(h, n)
                        WHERE n > jsonb_array_length(coalesce(ws.checkpoint -> 'history', '[]')) + 1 - 100)),
         lease_expires_at = v_now + make_interval(secs => coalesce(ws.timeout_seconds, p_default_timeout_seconds)
                                                          + p_lease_grace_seconds),
         updated_at = v_now
   WHERE ws.workflow_step_uuid = p_step_uuid AND ws.state = 'in_progress' AND ws.attempts = p_attempt
     AND ws.claimed_by = p_worker_uuid
  RETURNING ws.checkpoint INTO v_saved;
  IF NOT FOUND THEN
    RETURN (SELECT jsonb_build_object('saved', false, 'state', ws.state, 'attempts', ws.attempts)
              FROM (SELECT NULL) AS one
              LEFT JOIN tasker.workflow_steps ws ON ws.workflow_step_uuid = p_step_uuid);
  END IF;
  RETURN jsonb_build_object('saved', true, 'checkpoint', v_saved);
END
$$;

-- detect_stale_tasks of 0012, leaving alone a running task one of whose steps changed state within
-- the threshold (it progresses) or checkpointed within p_checkpoint_stall_minutes (a long batch
-- that saves progress is not stuck).
DROP FUNCTION tasker.detect_stale_tasks(boolean, integer, integer, integer, integer, integer, uuid);
CREATE FUNCTION tasker.detect_stale_tasks(
  p_dry_run boolean, p_batch_size integer, p_deps_minutes integer, p_retry_minutes integer,
  p_steps_minutes integer, p_max_lifetime_hours integer, p_processor_uuid uuid,
  p_checkpoint_stall_minutes integer DEFAULT 15
)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
  v_out jsonb := '[]';
  v_moved boolean;
  v_entry uuid;
  v_now timestamptz := clock_timestamp();
BEGIN
  FOR r IN
    SELECT t.task_uuid, t.state, t.correlation_id, t.priority, t.requested_at, t.created_at,
           ns.name AS namespace, nt.name AS task_name,
           extract(epoch FROM v_now - t.state_entered_at) / 60 AS minutes_in_state,
           tasker.staleness_threshold_minutes(t.state, nt.configuration, p_deps_minutes, p_retry_minutes,
                                              p_steps_minutes) AS threshold
      FROM tasker.tasks t
      JOIN tasker.named_tasks nt USING (named_task_uuid)
      JOIN tasker.task_namespaces ns USING (task_namespace_uuid)
     WHERE t.state IN ('waiting_for_dependencies', 'waiting_for_retry', 'steps_in_process')
       AND ((v_now - t.state_entered_at >= make_interval(mins =>
               tasker.staleness_threshold_minutes(t.state, nt.configuration, p_deps_minutes, p_retry_minutes,
                                                  p_steps_minutes))
             -- A running task stays in steps_in_process while its steps move (the step path does not
             -- write the task row): it is stuck only when no step changed state within the threshold.
             AND NOT (t.state = 'steps_in_process' AND EXISTS (
               SELECT 1 FROM tasker.workflow_steps ws
                WHERE ws.task_uuid = t.task_uuid
                  AND ws.state_entered_at > v_now - make_interval(mins =>
                        tasker.staleness_threshold_minutes(t.state, nt.configuration, p_deps_minutes,
                                                           p_retry_minutes, p_steps_minutes)))))
            OR v_now - t.created_at >= make_interval(hours => p_max_lifetime_hours))
       AND NOT EXISTS (SELECT 1 FROM tasker.tasks_dlq d
                        WHERE d.task_uuid = t.task_uuid AND d.resolution_status = 'pending')
       AND NOT EXISTS (SELECT 1 FROM tasker.workflow_steps ws
                        WHERE ws.task_uuid = t.task_uuid AND ws.state = 'in_progress'
                          AND ws.checkpoint IS NOT NULL
                          AND (ws.checkpoint ->> 'timestamp')::timestamptz
                              > v_now - make_interval(mins => p_checkpoint_stall_minutes))
     ORDER BY t.state_entered_at
     LIMIT p_batch_size
       FOR NO KEY UPDATE OF t SKIP LOCKED
  LOOP
    v_moved := false;
    v_entry := NULL;
    IF NOT p_dry_run THEN
      INSERT INTO tasker.tasks_dlq (task_uuid, original_state, dlq_reason, task_snapshot, metadata)
      VALUES (r.task_uuid, r.state, 'staleness_timeout',
              jsonb_build_object('task_uuid', r.task_uuid, 'namespace', r.namespace, 'task_name', r.task_name,
                                 'current_state', r.state, 'time_in_state_minutes', round(r.minutes_in_state, 2),
                                 'threshold_minutes', r.threshold, 'snapshot_timestamp', v_now,
                                 'task_details', jsonb_build_object('correlation_id', r.correlation_id,
                                   'priority', r.priority, 'requested_at', r.requested_at, 'created_at', r.created_at)),
              jsonb_build_object('detection_method', 'automatic_staleness',
                                 'time_in_state_minutes', round(r.minutes_in_state, 2),
                                 'threshold_minutes', r.threshold))
      ON CONFLICT DO NOTHING
      RETURNING dlq_entry_uuid INTO v_entry;
      v_moved := tasker.transition_task_state(r.task_uuid, ARRAY[r.state], 'error', 'staleness_timeout',
        p_processor_uuid, jsonb_build_object('reason', 'staleness_timeout', 'namespace', r.namespace,
                                             'task_name', r.task_name, 'detected_at', v_now)) IS NOT NULL;
    END IF;
    v_out := v_out || jsonb_build_array(jsonb_build_object(
      'task_uuid', r.task_uuid, 'namespace', r.namespace, 'task_name', r.task_name, 'state', r.state,
      'correlation_id', r.correlation_id, 'minutes_in_state', round(r.minutes_in_state, 2),
      'threshold_minutes', r.threshold, 'dlq_entry_uuid', v_entry, 'moved_to_error', v_moved,
      'dry_run', p_dry_run));
  END LOOP;
  RETURN v_out;
END
$$;
