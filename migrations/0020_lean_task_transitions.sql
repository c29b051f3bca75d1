-- A task's evaluation writes its row once. evaluate_task of 0016 moved the task through each
-- state of its route with its own transition_task_state call (a lock, a non-HOT UPDATE of the
-- task row, which re-indexes every index of `tasks`, and a history INSERT): three UPDATEs for a
-- new task (pending -> initializing -> enqueuing_steps -> steps_in_process), two when a running
-- task completes or parks. The route is now collected and applied by `apply_task_route`: one
-- UPDATE (to the last state) and one INSERT of every history row, in order (sort_key), each hop
-- checked against the state machine as before. The ready steps are enqueued by one UPDATE and
-- one history INSERT instead of a transition_step_state call each.
-- The audit trail is unchanged: the same transitions, events and metadata, in the same order.
-- Also, each explained where it is defined below: create_task writes a new task already
-- evaluated, and may claim its first root for a worker of the creating process; concurrent
-- creations may send their notifications after the commit; claim_step and pgmq_send_with_notify
-- write the queue row themselves, and claim_step and claim_steps take the common case first;
-- step_claim_context finds ancestors by index and skips them for a root; two indexes no query
-- needs are dropped.

-- Applies a route of transitions [[from, to, event], ...] starting at p_from (the state the
-- caller read under the task's lock), with p_metadata[i] for hop i: one UPDATE, one INSERT.
-- A route that is not a chain from p_from, or a hop the state machine refuses, raises TK001.
CREATE FUNCTION tasker.apply_task_route(
  p_task_uuid uuid,
  p_from text,
  p_route jsonb,
  p_metadata jsonb,
  p_processor_uuid uuid
)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_n integer := jsonb_array_length(p_route);
  v_at text := p_from;
  v_hop jsonb;
  v_sort integer;
  v_now timestamptz := clock_timestamp();
BEGIN
  IF v_n = 0 THEN
    RETURN;
  END IF;
  FOR v_hop IN SELECT e FROM jsonb_array_elements(p_route) AS x(e) LOOP
    IF v_hop ->> 0 IS DISTINCT FROM v_at OR NOT tasker.task_transition_allowed(v_at, v_hop ->> 1) THEN
      RAISE EXCEPTION 'task % cannot move from % to % (%)', p_task_uuid, v_hop ->> 0, v_hop ->> 1, v_hop ->> 2
        USING ERRCODE = 'TK001';
    END IF;
    v_at := v_hop ->> 1;
  END LOOP;
  UPDATE tasker.tasks t
     SET state = v_at,
         state_entered_at = v_now,
         transition_count = t.transition_count + v_n,
         complete = t.complete OR v_at = 'complete',
         completed_at = CASE WHEN v_at IN ('complete', 'error', 'cancelled', 'resolved_manually')
                             THEN v_now ELSE t.completed_at END,
         owner_process_uuid = CASE WHEN v_at IN ('complete', 'error', 'cancelled', 'resolved_manually')
                                   THEN NULL ELSE coalesce(p_processor_uuid, t.owner_process_uuid) END,
         updated_at = v_now
   WHERE t.task_uuid = p_task_uuid AND t.state = p_from
  RETURNING t.transition_count INTO v_sort;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'task % is not in % (the caller must hold its lock)', p_task_uuid, p_from
      USING ERRCODE = 'TK001';
  END IF;
  INSERT INTO tasker.task_transitions
    (task_uuid, from_state, to_state, event, metadata, sort_key, processor_uuid, created_at, updated_at)
  SELECT p_task_uuid, x.e ->> 0, x.e ->> 1, x.e ->> 2, coalesce(p_metadata -> (x.n::int - 1), '{}'),
         v_sort - v_n + x.n::int, p_processor_uuid, v_now, v_now
    FROM jsonb_array_elements(p_route) WITH ORDINALITY AS x(e, n);
END
$$;

-- evaluate_task of 0016, the same decisions, its route applied once at the end.
CREATE OR REPLACE FUNCTION tasker.evaluate_task(p_task_uuid uuid, p_processor_uuid uuid, p_headers jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t record;
  ctx record;
  v_state text;
  v_log jsonb := '[]';
  v_meta jsonb := '[]';
  v_enqueued jsonb := '[]';
  v_queue text;
  v_messages jsonb[];
  v_ids bigint[];
  v_target text;
  v_event text;
  v_now timestamptz;
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
    v_log := v_log || jsonb_build_array(jsonb_build_array('pending', 'initializing', 'start'));
    v_meta := v_meta || '[{}]'::jsonb;
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
    PERFORM tasker.apply_task_route(p_task_uuid, t.state, v_log, v_meta, p_processor_uuid);
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
    v_log := v_log || jsonb_build_array(jsonb_build_array(v_state, 'evaluating_results', v_event));
    v_meta := v_meta || '[{}]'::jsonb;
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
    v_log := v_log || jsonb_build_array(jsonb_build_array(v_state, v_target, v_event));
    v_meta := v_meta || '[{}]'::jsonb;
    PERFORM tasker.apply_task_route(p_task_uuid, t.state, v_log, v_meta, p_processor_uuid);
    RETURN jsonb_build_object('task_uuid', p_task_uuid, 'found', true, 'state', v_target,
                              'correlation_id', t.correlation_id, 'namespace', t.namespace,
                              'execution_status', ctx.execution_status, 'next_retry_at', ctx.next_retry_at,
                              'transitions', v_log, 'enqueued', v_enqueued);
  END IF;

  v_log := v_log || jsonb_build_array(jsonb_build_array(v_state, 'enqueuing_steps', 'ready_steps_found'));
  v_meta := v_meta || jsonb_build_array(jsonb_build_object('ready_steps', ctx.ready_steps));
  v_queue := 'worker_' || t.namespace || '_queue';
  IF NOT EXISTS (SELECT 1 FROM pgmq.meta m WHERE m.queue_name = v_queue) THEN
    PERFORM pgmq."create"(v_queue);
  END IF;

  -- The ready steps, locked in uuid order, enqueued by one UPDATE and one history INSERT
  -- (a due retry: waiting_for_retry -> pending -> enqueued).
  v_now := clock_timestamp();
  WITH ready AS MATERIALIZED (
    SELECT ws.workflow_step_uuid, ws.state, ns.name
      FROM tasker.workflow_steps ws
      JOIN tasker.named_steps ns USING (named_step_uuid)
     WHERE ws.task_uuid = p_task_uuid
       AND tasker.step_is_ready(ws.state, ws.remaining_dependencies, ws.attempts, ws.max_attempts,
                                ws.retryable, ws.next_retry_at)
     ORDER BY ws.workflow_step_uuid
       FOR NO KEY UPDATE OF ws
  ), upd AS (
    UPDATE tasker.workflow_steps s
       SET state = 'enqueued', state_entered_at = v_now,
           transition_count = s.transition_count + CASE WHEN r.state = 'waiting_for_retry' THEN 2 ELSE 1 END,
           in_process = false, processed = false, claimed_by = NULL, lease_expires_at = NULL,
           next_retry_at = NULL, updated_at = v_now
      FROM ready r
     WHERE s.workflow_step_uuid = r.workflow_step_uuid
    RETURNING s.workflow_step_uuid AS id, r.state AS was, r.name, s.attempts, s.transition_count AS sort_key
  ), history AS (
    INSERT INTO tasker.workflow_step_transitions
      (workflow_step_uuid, from_state, to_state, event, metadata, sort_key, created_at, updated_at)
    SELECT u.id, h.from_state, h.to_state, h.event, '{}', h.sort_key, v_now, v_now
      FROM upd u
     CROSS JOIN LATERAL (VALUES ('waiting_for_retry', 'pending', 'retry', u.sort_key - 1),
                                ('pending', 'enqueued', 'enqueue', u.sort_key)) AS h(from_state, to_state, event, sort_key)
     WHERE h.from_state = 'pending' OR u.was = 'waiting_for_retry'
  )
  SELECT array_agg(jsonb_build_object('task_uuid', p_task_uuid, 'step_uuid', u.id, 'correlation_id', t.correlation_id,
                                      'step_name', u.name, 'attempt', u.attempts + 1) ORDER BY u.id),
         coalesce(jsonb_agg(jsonb_build_object('step_uuid', u.id, 'step_name', u.name,
                                               'retry', u.was = 'waiting_for_retry', 'attempt', u.attempts + 1)
                            ORDER BY u.id), '[]')
    INTO v_messages, v_enqueued
    FROM upd u;
  v_ids := tasker.send_step_messages(v_queue, v_messages, p_headers);
  SELECT coalesce(jsonb_agg(e || jsonb_build_object('msg_id', v_ids[n]) ORDER BY n), '[]')
    INTO v_enqueued
    FROM jsonb_array_elements(v_enqueued) WITH ORDINALITY AS x(e, n);

  v_log := v_log || jsonb_build_array(jsonb_build_array('enqueuing_steps', 'steps_in_process', 'steps_enqueued'));
  v_meta := v_meta || jsonb_build_array(jsonb_build_object('steps', jsonb_array_length(v_enqueued)));
  PERFORM tasker.apply_task_route(p_task_uuid, t.state, v_log, v_meta, p_processor_uuid);
  RETURN jsonb_build_object('task_uuid', p_task_uuid, 'found', true, 'state', 'steps_in_process',
                            'correlation_id', t.correlation_id, 'namespace', t.namespace,
                            'execution_status', ctx.execution_status, 'next_retry_at', ctx.next_retry_at,
                            'transitions', v_log, 'enqueued', v_enqueued);
END
$$;

-- resume_parked_task of 0016 (a due retry claimed while its task was parked): its three
-- transitions back to steps_in_process in one UPDATE.
CREATE OR REPLACE FUNCTION tasker.resume_parked_task(p_task_uuid uuid, p_processor_uuid uuid)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_state text;
  v_route jsonb;
BEGIN
  SELECT state INTO v_state FROM tasker.tasks WHERE task_uuid = p_task_uuid FOR NO KEY UPDATE;
  IF v_state IS NULL OR v_state NOT IN ('waiting_for_dependencies', 'waiting_for_retry') THEN
    RETURN '[]';
  END IF;
  v_route := jsonb_build_array(
    jsonb_build_array(v_state, 'evaluating_results', 'dependencies_ready'),
    jsonb_build_array('evaluating_results', 'enqueuing_steps', 'ready_steps_found'),
    jsonb_build_array('enqueuing_steps', 'steps_in_process', 'steps_enqueued'));
  PERFORM tasker.apply_task_route(p_task_uuid, v_state, v_route, '[]', p_processor_uuid);
  RETURN v_route;
END
$$;

-- Indexes every step write kept up to date and no query needs: (task_uuid, state) is served by
-- the unique (task_uuid, named_step_uuid) index (a task's steps, their state read from the row),
-- and the audit's (workflow_step_uuid) by its unique (workflow_step_uuid, transition) index. A
-- step changes state three times on its way (enqueued, in_progress, complete), each change a
-- new row version with an entry in every index.
DROP INDEX tasker.workflow_steps_task_state_idx;
DROP INDEX tasker.workflow_step_result_audit_step_idx;

-- claim_step of 0016, acknowledging the claimed step's message with one DELETE of its row
-- instead of through pgmq.delete (a name check, a name format and the DELETE, each call), and
-- trying the common case first: one UPDATE that claims an enqueued step of the queue's namespace
-- (the locking read and its refusals run only when it finds nothing). Measured server side per
-- claim of a root step, with claim_steps and the context: 264 -> 203 us.
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
  -- The common case first: an enqueued step of this queue's namespace, claimed by one UPDATE
  -- (its WHERE is checked again under the row lock, so a concurrent claim makes it find nothing);
  -- everything else (a retry, a refusal, a lost race) goes through the checks below.
  IF p_queue_name IS NOT NULL THEN
    UPDATE tasker.workflow_steps ws
       SET state = 'in_progress',
           state_entered_at = v_now,
           transition_count = ws.transition_count + 1,
           in_process = true,
           processed = false,
           attempts = ws.attempts + 1,
           last_attempted_at = v_now,
           claimed_by = p_worker_uuid,
           lease_expires_at = v_now + make_interval(secs => coalesce(ws.timeout_seconds, p_default_timeout_seconds)
                                                           + p_lease_grace_seconds),
           next_retry_at = NULL,
           updated_at = v_now
     WHERE ws.workflow_step_uuid = p_step_uuid AND ws.state = 'enqueued'
       AND EXISTS (SELECT 1 FROM tasker.tasks t
                     JOIN tasker.named_tasks nt USING (named_task_uuid)
                     JOIN tasker.task_namespaces nsp USING (task_namespace_uuid)
                    WHERE t.task_uuid = ws.task_uuid AND 'worker_' || nsp.name || '_queue' = p_queue_name)
    RETURNING ws.transition_count INTO v_sort;
    IF FOUND THEN
      INSERT INTO tasker.workflow_step_transitions
        (workflow_step_uuid, from_state, to_state, event, metadata, sort_key, created_at, updated_at)
      VALUES (p_step_uuid, 'enqueued', 'in_progress', 'start', v_meta, v_sort, v_now, v_now);
      IF p_msg_id IS NOT NULL THEN
        EXECUTE format('DELETE FROM pgmq.%I WHERE msg_id = $1', 'q_' || p_queue_name) USING p_msg_id;
      END IF;
      RETURN tasker.step_claim_context(p_step_uuid);
    END IF;
  END IF;

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
    -- The message's row, deleted directly (pgmq.delete validates the name and formats it on
    -- every call); p_queue_name matched the step's namespace above.
    EXECUTE format('DELETE FROM pgmq.%I WHERE msg_id = $1', 'q_' || p_queue_name) USING p_msg_id;
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

-- claim_steps of 0018; a single claim (an idle worker's, the usual case) calls claim_step
-- directly instead of looping over a set.
CREATE OR REPLACE FUNCTION tasker.claim_steps(
  p_worker_uuid uuid,
  p_queue_name text,
  p_msg_ids bigint[],
  p_step_uuids uuid[],
  p_default_timeout_seconds integer,
  p_lease_grace_seconds integer
)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_item record;
  v_out jsonb[] := array_fill(NULL::jsonb, ARRAY[coalesce(cardinality(p_step_uuids), 0)]);
BEGIN
  IF coalesce(cardinality(p_step_uuids), 0) <> coalesce(cardinality(p_msg_ids), 0) THEN
    RAISE EXCEPTION 'claim_steps: % message ids for % steps', cardinality(p_msg_ids), cardinality(p_step_uuids)
      USING ERRCODE = '22023';
  END IF;
  PERFORM set_config('synchronous_commit', 'off', true);
  -- One claim (an idle worker's, the usual case): no loop over a set.
  IF cardinality(p_step_uuids) = 1 THEN
    RETURN jsonb_build_array(tasker.claim_step(p_step_uuids[1], p_worker_uuid, p_queue_name, p_msg_ids[1],
                                               p_default_timeout_seconds, p_lease_grace_seconds));
  END IF;
  FOR v_item IN
    SELECT u.step_uuid, u.msg_id, u.n
      FROM unnest(p_step_uuids, p_msg_ids) WITH ORDINALITY AS u(step_uuid, msg_id, n)
     ORDER BY u.step_uuid, u.n
  LOOP
    v_out[v_item.n] := tasker.claim_step(v_item.step_uuid, p_worker_uuid, p_queue_name, v_item.msg_id,
                                         p_default_timeout_seconds, p_lease_grace_seconds);
  END LOOP;
  RETURN to_jsonb(v_out);
END
$$;

-- pgmq_notify of 0004. Inside a transaction that set `tasker.notify_after_commit` (create_task
-- when the API has several creations in flight), the notifications are collected in the
-- transaction-local `tasker.deferred_notifications` instead of sent: a NOTIFY takes PostgreSQL's
-- notification queue lock at commit and holds it until the commit is flushed, so concurrent
-- committing transactions that notify are serialized on it (measured: 16 clients inserting a row,
-- 11,400 tx/s with the NOTIFY in the transaction, 17,240 with it sent right after the commit,
-- 25,207 without). The caller sends them after its commit; one lost with the caller is covered
-- by the consumers' polling, as any lost notification is.
CREATE OR REPLACE FUNCTION tasker.pgmq_notify(queue_name text, payload jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  text_payload text := payload::text;
  v_channels text[] := ARRAY['pgmq_message_ready.' || tasker.extract_queue_namespace(queue_name)];
  v_channel text;
BEGIN
  IF coalesce(current_setting('tasker.notify_global_channel', true), '') = 'on' THEN
    v_channels := v_channels || 'pgmq_message_ready'::text;
  END IF;
  IF coalesce(current_setting('tasker.notify_after_commit', true), '') = 'on' THEN
    PERFORM set_config('tasker.deferred_notifications',
      (tasker.deferred_notifications()
       || (SELECT jsonb_agg(jsonb_build_array(c, text_payload)) FROM unnest(v_channels) AS c))::text, true);
    RETURN;
  END IF;
  FOREACH v_channel IN ARRAY v_channels LOOP
    PERFORM pg_notify(v_channel, text_payload);
  END LOOP;
END
$$;

-- The notifications collected in this transaction (tasker.pgmq_notify), [[channel, payload], ...].
CREATE FUNCTION tasker.deferred_notifications()
RETURNS jsonb
LANGUAGE sql
STABLE
AS $$
  SELECT coalesce(nullif(current_setting('tasker.deferred_notifications', true), '')::jsonb, '[]'::jsonb);
$$;

-- create_task of 0019, writing a new task as evaluate_task would leave it, without evaluating it:
-- a new task's steps are all pending with no attempt, so its ready steps are exactly the initial
-- steps that declare no dependency. The task row is inserted in steps_in_process and its root
-- steps in enqueued, with the history evaluate_task would have appended (pending -> initializing
-- -> enqueuing_steps -> steps_in_process; each root pending -> enqueued), and their messages
-- sent with one send and at most one NOTIFY: no UPDATE of the rows just inserted. A template
-- whose initial steps all wait for others (every dependency created later) takes 0019's way.
-- With `notify_after_commit` in the request, the messages' notifications are not sent in this
-- transaction but returned (`notifications`: [[channel, payload], ...]) for the caller to send
-- after the commit (see tasker.pgmq_notify below).
-- Claim at creation: a request with `take` (a worker of the creating process, combined role,
-- offered only while it has a free slot: its uuid and lease settings) gets the template's first
-- root already claimed by that worker (pending -> enqueued -> in_progress, attempt 1, lease set,
-- the `start` row marked taken_at_creation), with no message and no notification, and its claim
-- context in `claimed`; the other roots are enqueued as above. It is recovered like any claimed
-- step: its lease expires, or the reaper finds its process dead.
CREATE OR REPLACE FUNCTION tasker.create_task(p_request jsonb, p_processor_uuid uuid, p_headers jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_task uuid := (p_request ->> 'task_uuid')::uuid;
  v_named_task uuid := (p_request ->> 'named_task_uuid')::uuid;
  v_correlation uuid := (p_request ->> 'correlation_id')::uuid;
  v_initial jsonb := p_request -> 'initial_steps';
  v_config jsonb;
  v_namespace text;
  v_queue text;
  v_total integer;
  v_roots integer;
  v_messages jsonb[];
  v_enqueued jsonb;
  v_ids bigint[];
  v_now timestamptz := clock_timestamp();
  v_take jsonb := p_request -> 'take';
  v_taker uuid := (p_request #>> '{take,worker_uuid}')::uuid;
  v_taken uuid;
  v_taken_name text;
  v_route jsonb := '[["pending", "initializing", "start"],
                     ["initializing", "enqueuing_steps", "ready_steps_found"],
                     ["enqueuing_steps", "steps_in_process", "steps_enqueued"]]';
BEGIN
  IF coalesce((p_request ->> 'notify_after_commit')::boolean, false) THEN
    PERFORM set_config('tasker.notify_after_commit', 'on', true);
  END IF;
  SELECT nt.configuration, nsp.name INTO v_config, v_namespace
    FROM tasker.named_tasks nt JOIN tasker.task_namespaces nsp USING (task_namespace_uuid)
   WHERE nt.named_task_uuid = v_named_task;
  IF v_config IS NULL THEN
    RAISE EXCEPTION 'template % is not registered', v_named_task USING ERRCODE = 'TK002';
  END IF;
  IF jsonb_array_length(coalesce(v_config -> 'steps', '[]')) = 0 THEN
    RAISE EXCEPTION 'template % has no steps', v_named_task USING ERRCODE = 'TK003';
  END IF;
  SELECT count(*) FILTER (WHERE jsonb_array_length(coalesce(step -> 'dependencies', '[]')) = 0), count(*)
    INTO v_roots, v_total
    FROM jsonb_array_elements(v_config -> 'steps') AS step
   WHERE v_initial IS NULL OR v_initial ? (step ->> 'name');
  IF v_total = 0 THEN
    RAISE EXCEPTION 'template % has no step to start with', v_named_task USING ERRCODE = 'TK003';
  END IF;

  INSERT INTO tasker.tasks (
    task_uuid, named_task_uuid, state, state_entered_at, transition_count, requested_at, initiator,
    source_system, reason, tags, context, identity_hash, idempotency_key, priority, correlation_id,
    parent_correlation_id, trace_context, owner_process_uuid, created_at, updated_at)
  VALUES (
    v_task, v_named_task, CASE WHEN v_roots > 0 THEN 'steps_in_process' ELSE 'pending' END, v_now,
    CASE WHEN v_roots > 0 THEN 4 ELSE 1 END, v_now, p_request ->> 'initiator',
    p_request ->> 'source_system', p_request ->> 'reason', coalesce(p_request -> 'tags', '[]'),
    coalesce(p_request -> 'context', '{}'), p_request ->> 'identity_hash', p_request ->> 'idempotency_key',
    coalesce((p_request ->> 'priority')::int, 0), v_correlation,
    (p_request ->> 'parent_correlation_id')::uuid, p_request -> 'trace_context', p_processor_uuid, v_now, v_now);
  INSERT INTO tasker.task_transitions (task_uuid, from_state, to_state, event, metadata, sort_key,
                                       processor_uuid, created_at, updated_at)
  SELECT v_task, h.from_state, h.to_state, h.event, h.metadata, h.sort_key, p_processor_uuid, v_now, v_now
    FROM (VALUES (NULL, 'pending', 'initialize', '{"from_service":"task_initializer"}'::jsonb, 1),
                 ('pending', 'initializing', 'start', '{}', 2),
                 ('initializing', 'enqueuing_steps', 'ready_steps_found', jsonb_build_object('ready_steps', v_roots), 3),
                 ('enqueuing_steps', 'steps_in_process', 'steps_enqueued', jsonb_build_object('steps', v_roots), 4)
         ) AS h(from_state, to_state, event, metadata, sort_key)
   WHERE h.sort_key = 1 OR v_roots > 0;

  -- Step names are a global registry.
  INSERT INTO tasker.named_steps (name)
  SELECT DISTINCT step ->> 'name' FROM jsonb_array_elements(v_config -> 'steps') AS step
   WHERE NOT EXISTS (SELECT 1 FROM tasker.named_steps ns WHERE ns.name = step ->> 'name')
  ON CONFLICT (name) DO NOTHING;

  WITH n AS MATERIALIZED (
    SELECT step ->> 'name' AS name, tasker.uuid_generate_v7() AS workflow_step_uuid, step AS definition,
           (ordinality - 1)::int AS position,
           jsonb_array_length(coalesce(step -> 'dependencies', '[]')) AS dependencies,
           -- The first root in template order, when a local worker takes one.
           v_taker IS NOT NULL AND jsonb_array_length(coalesce(step -> 'dependencies', '[]')) = 0
             AND ordinality = min(ordinality) FILTER (WHERE jsonb_array_length(coalesce(step -> 'dependencies', '[]')) = 0)
                                OVER () AS taken
      FROM jsonb_array_elements(v_config -> 'steps') WITH ORDINALITY AS steps(step, ordinality)
     WHERE v_initial IS NULL OR v_initial ? (step ->> 'name')
  ), new_steps AS (
    INSERT INTO tasker.workflow_steps (
      workflow_step_uuid, task_uuid, named_step_uuid, position, state, state_entered_at, transition_count,
      remaining_dependencies, retryable, max_attempts, backoff, backoff_base_ms, max_backoff_ms,
      timeout_seconds, inputs, attempts, in_process, claimed_by, last_attempted_at, lease_expires_at,
      created_at, updated_at)
    SELECT n.workflow_step_uuid, v_task, ns.named_step_uuid, n.position,
           CASE WHEN n.taken THEN 'in_progress' WHEN n.dependencies = 0 THEN 'enqueued' ELSE 'pending' END, v_now,
           CASE WHEN n.taken THEN 3 WHEN n.dependencies = 0 THEN 2 ELSE 1 END,
           n.dependencies,
           coalesce((n.definition #>> '{retry,retryable}')::boolean, true),
           coalesce((n.definition #>> '{retry,max_attempts}')::int, 3),
           coalesce(n.definition #>> '{retry,backoff}', 'exponential'),
           coalesce((n.definition #>> '{retry,backoff_base_ms}')::int, 1000),
           coalesce((n.definition #>> '{retry,max_backoff_ms}')::int, 30000),
           (n.definition ->> 'timeout_seconds')::int,
           nullif(coalesce(n.definition #> '{handler,initialization}', '{}'), '{}'),
           CASE WHEN n.taken THEN 1 ELSE 0 END, n.taken, CASE WHEN n.taken THEN v_taker END,
           CASE WHEN n.taken THEN v_now END,
           CASE WHEN n.taken THEN v_now + make_interval(secs =>
             coalesce((n.definition ->> 'timeout_seconds')::int, (v_take ->> 'default_timeout_seconds')::int)
             + (v_take ->> 'lease_grace_seconds')::int) END,
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
  ), history AS (
    INSERT INTO tasker.workflow_step_transitions (workflow_step_uuid, from_state, to_state, event, metadata,
                                                  sort_key, created_at, updated_at)
    SELECT n.workflow_step_uuid, h.from_state, h.to_state, h.event, h.metadata, h.sort_key, v_now, v_now
      FROM n
     CROSS JOIN LATERAL (VALUES (NULL, 'pending', 'initialize', '{"from_service":"task_initializer"}'::jsonb, 1),
                                ('pending', 'enqueued', 'enqueue', '{}', 2),
                                ('enqueued', 'in_progress', 'start',
                                 jsonb_build_object('worker_uuid', v_taker, 'taken_at_creation', true), 3)
                        ) AS h(from_state, to_state, event, metadata, sort_key)
     WHERE h.sort_key = 1 OR (h.sort_key = 2 AND n.dependencies = 0 AND v_roots > 0) OR (h.sort_key = 3 AND n.taken)
  )
  SELECT array_agg(jsonb_build_object('task_uuid', v_task, 'step_uuid', n.workflow_step_uuid,
                                      'correlation_id', v_correlation, 'step_name', n.name, 'attempt', 1)
                   ORDER BY n.workflow_step_uuid) FILTER (WHERE n.dependencies = 0 AND NOT n.taken),
         coalesce(jsonb_agg(jsonb_build_object('step_uuid', n.workflow_step_uuid, 'step_name', n.name,
                                               'retry', false, 'attempt', 1)
                            ORDER BY n.workflow_step_uuid) FILTER (WHERE n.dependencies = 0 AND NOT n.taken), '[]'),
         min(n.workflow_step_uuid::text) FILTER (WHERE n.taken)::uuid,
         min(n.name) FILTER (WHERE n.taken)
    INTO v_messages, v_enqueued, v_taken, v_taken_name
    FROM n;

  IF v_roots = 0 THEN
    RETURN tasker.evaluate_task(v_task, p_processor_uuid, p_headers)
           || jsonb_build_object('created', true, 'total_steps', v_total,
                                 'notifications', tasker.deferred_notifications());
  END IF;

  IF v_messages IS NOT NULL THEN
    v_queue := 'worker_' || v_namespace || '_queue';
    IF NOT EXISTS (SELECT 1 FROM pgmq.meta m WHERE m.queue_name = v_queue) THEN
      PERFORM pgmq."create"(v_queue);
    END IF;
    v_ids := tasker.send_step_messages(v_queue, v_messages, p_headers);
    SELECT coalesce(jsonb_agg(e || jsonb_build_object('msg_id', v_ids[n]) ORDER BY n), '[]')
      INTO v_enqueued
      FROM jsonb_array_elements(v_enqueued) WITH ORDINALITY AS x(e, n);
  END IF;
  IF v_taken IS NOT NULL THEN
    -- The taken step is enqueued too (its history says so), with no message.
    v_enqueued := jsonb_build_array(jsonb_build_object(
        'step_uuid', v_taken, 'step_name', v_taken_name, 'msg_id', NULL, 'retry', false, 'attempt', 1,
        'taken', true)) || v_enqueued;
  END IF;
  RETURN jsonb_build_object('task_uuid', v_task, 'found', true, 'state', 'steps_in_process',
                            'correlation_id', v_correlation, 'namespace', v_namespace,
                            'execution_status', 'has_ready_steps', 'next_retry_at', NULL,
                            'transitions', v_route, 'enqueued', v_enqueued,
                            'created', true, 'total_steps', v_total,
                            'claimed', CASE WHEN v_taken IS NULL THEN '[]'::jsonb
                                            ELSE jsonb_build_array(tasker.step_claim_context(v_taken)) END,
                            'notifications', tasker.deferred_notifications());
END
$$;

-- pgmq_send_with_notify of 0004, inserting the message row itself instead of through pgmq.send
-- (the same row: pgmq.q_<queue>'s vt, message and headers; the real pgmq extension's table is
-- the same).
CREATE OR REPLACE FUNCTION tasker.pgmq_send_with_notify(
  queue_name text,
  message jsonb,
  delay_seconds integer DEFAULT 0,
  headers jsonb DEFAULT NULL
)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  delay integer := coalesce(delay_seconds, 0);
  namespace text := tasker.extract_queue_namespace(queue_name);
  new_id bigint;
  ready_at timestamptz;
  signal jsonb;
  payload jsonb;
BEGIN
  PERFORM tasker.assert_queue_name(queue_name);
  IF delay < 0 THEN
    RAISE EXCEPTION 'delay_seconds must not be negative (got %)', delay USING ERRCODE = 'invalid_parameter_value';
  END IF;

  -- pgmq.send's INSERT, made here: the name was checked above (lower case, so it is pgmq's
  -- table name as it is), and pgmq.send's name check, name format and overloads cost several
  -- times the INSERT itself.
  ready_at := clock_timestamp() + make_interval(secs => delay);
  EXECUTE format('INSERT INTO pgmq.%I (vt, message, headers) VALUES ($1, $2, $3) RETURNING msg_id', 'q_' || queue_name)
     INTO new_id USING ready_at, message, headers;

  signal := jsonb_build_object(
    'event_type', 'message_ready',
    'msg_id', new_id,
    'queue_name', queue_name,
    'namespace', namespace,
    'ready_at', ready_at,
    'delay_seconds', delay,
    'payload_omitted', true);

  IF length(message::text) < tasker.pgmq_payload_size_threshold() THEN
    payload := jsonb_build_object(
      'event_type', 'message_with_payload',
      'msg_id', new_id,
      'queue_name', queue_name,
      'namespace', namespace,
      'message', message,
      'ready_at', ready_at,
      'delay_seconds', delay)
      -- Headers (W3C trace context) travel with the message, so a consumer served by
      -- the notification continues the sender's trace without reading the row.
      || CASE WHEN headers IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('headers', headers) END;
    -- Multi-byte text can pass the character threshold and still exceed the byte limit.
    IF octet_length(payload::text) > tasker.pgmq_notify_payload_limit() THEN
      payload := signal || jsonb_build_object('truncated', true);
    END IF;
  ELSE
    payload := signal;
  END IF;

  PERFORM tasker.pgmq_notify(queue_name, payload);
  RETURN new_id;
END
$$;

-- step_claim_context of 0019, its ancestors found level by level through the edges' to_step_uuid
-- index and their results read by primary key, one ancestor at a time. The recursive CTE's row
-- estimate made the planner join its result to workflow_steps by a hash join over a sequential
-- scan of every step in the database: measured on 2,500 two-step tasks draining, 1.8 ms of a
-- 2 ms claim context, growing with the table (and plpgsql keeps the plan). A step without
-- parents (every root) skips the ancestors' query.
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
  -- Each level looks its parents up by index (the OFFSET 0 keeps the lookup a correlated
  -- subquery): planned as a join, the recursive term became a hash join over a sequential scan
  -- of every edge of the database (measured at 9,000 edges: 1.9 ms), a plan plpgsql then keeps.
  -- A step without parents (every root) skips the ancestors' query.
  IF NOT EXISTS (SELECT 1 FROM tasker.workflow_step_edges e WHERE e.to_step_uuid = p_step_uuid) THEN
    v_deps := '{}';
  ELSE
  WITH RECURSIVE ancestors(step_uuid, depth) AS (
    SELECT e.from_step_uuid, 1 FROM tasker.workflow_step_edges e WHERE e.to_step_uuid = p_step_uuid
    UNION
    SELECT p.from_step_uuid, a.depth + 1
      FROM ancestors a
     CROSS JOIN LATERAL (SELECT e.from_step_uuid FROM tasker.workflow_step_edges e
                          WHERE e.to_step_uuid = a.step_uuid OFFSET 0) p
     WHERE a.depth < 100
  )
  SELECT coalesce(jsonb_object_agg(d.name, d.result), '{}')
    INTO v_deps
    FROM (SELECT DISTINCT step_uuid FROM ancestors) a
   CROSS JOIN LATERAL (SELECT ns.name, ws.results -> 'result' AS result
                         FROM tasker.workflow_steps ws
                         JOIN tasker.named_steps ns USING (named_step_uuid)
                        WHERE ws.workflow_step_uuid = a.step_uuid AND ws.state IN ('complete', 'resolved_manually')
                       OFFSET 0) d;
  END IF;

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
