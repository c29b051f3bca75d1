-- Batching on the step path: a worker under load claims the messages it read, and completes
-- the results that finished while its previous call ran, in one transaction each.
--
--   claim_steps     several claim_step calls in one transaction, committed asynchronously
--   complete_steps  several complete_step calls in one transaction (one commit, one WAL flush)
--
-- Both take their items in step uuid order, so two batches that touch the same steps lock them
-- in the same order, and answer in the order of their input. A worker sends a single item
-- through claim_step / complete_step as before: batching adds no latency to an idle system.

-- Claims the steps of messages read from one queue: claim_step for each (refusals archive
-- their message as before). The commit does not wait for its WAL flush: a claim lost in a
-- crash of the database server only means the step is still `enqueued` with its message
-- back in the queue, and the worker's result for it is refused by complete_step's fence, so
-- the step runs again (at least once, as after any lost claim).
CREATE FUNCTION tasker.claim_steps(
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

-- Applies several results of one worker: complete_step for each item
-- {step_uuid, attempt, results, execution_time_ms, headers, take, prefer_children}, in one
-- transaction. Each answer is complete_step's, so each result keeps its own fence, its own
-- continuation and its own finalize decision; later items see what earlier ones wrote.
CREATE FUNCTION tasker.complete_steps(
  p_worker_uuid uuid,
  p_items jsonb,
  p_default_timeout_seconds integer,
  p_lease_grace_seconds integer
)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_item record;
  v_out jsonb[] := array_fill(NULL::jsonb, ARRAY[jsonb_array_length(p_items)]);
BEGIN
  FOR v_item IN
    SELECT (x.e ->> 'step_uuid')::uuid AS step_uuid, x.e, x.n
      FROM jsonb_array_elements(p_items) WITH ORDINALITY AS x(e, n)
     ORDER BY 1, x.n
  LOOP
    v_out[v_item.n] := tasker.complete_step(
      v_item.step_uuid, p_worker_uuid, (v_item.e ->> 'attempt')::int, v_item.e -> 'results',
      (v_item.e ->> 'execution_time_ms')::bigint, nullif(v_item.e -> 'headers', 'null'::jsonb),
      coalesce((v_item.e ->> 'take')::int, 0), coalesce((v_item.e ->> 'prefer_children')::boolean, true),
      p_default_timeout_seconds, p_lease_grace_seconds);
  END LOOP;
  RETURN to_jsonb(v_out);
END
$$;
