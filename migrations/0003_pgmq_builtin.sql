-- tasker:skip-if SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'pgmq')
--
-- The built-in PGMQ-compatible queue layer, for servers without the pgmq extension.
-- Written for this project from pgmq's documented public API: the same schema,
-- table layout, composite types, function names, argument order, return types and
-- semantics, so code written against pgmq runs unchanged, and a database can later
-- move to the real extension.
--
-- Deliberate differences from pgmq:
--   * queue names must match ^[a-z_][a-z0-9_]*$ and be at most 47 characters
--     (pgmq lowercases names and only rejects $ ; -- and quotes);
--   * no partitioned queues (pg_partman), FIFO reads, topics or insert notifications;
--   * read() returns rows ordered by msg_id; purge_queue() deletes (MVCC-safe, exact
--     count) instead of TRUNCATE;
--   * every function pins search_path and qualifies every name.

CREATE SCHEMA pgmq;

CREATE TABLE pgmq.meta (
  queue_name varchar NOT NULL UNIQUE,
  is_partitioned boolean NOT NULL,
  is_unlogged boolean NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- A message as the read/pop/set_vt functions return it (pgmq >= 1.9 layout).
CREATE TYPE pgmq.message_record AS (
  msg_id bigint,
  read_ct integer,
  enqueued_at timestamptz,
  last_read_at timestamptz,
  vt timestamptz,
  message jsonb,
  headers jsonb
);

CREATE TYPE pgmq.queue_record AS (
  queue_name varchar,
  is_partitioned boolean,
  is_unlogged boolean,
  created_at timestamptz
);

CREATE TYPE pgmq.metrics_result AS (
  queue_name text,
  queue_length bigint,
  newest_msg_age_sec integer,
  oldest_msg_age_sec integer,
  total_messages bigint,
  scrape_time timestamptz,
  queue_visible_length bigint
);

------------------------------------------------------------------------------------
-- Names
------------------------------------------------------------------------------------

-- Raises invalid_parameter_value (22023) unless the name is safe as part of an identifier.
CREATE FUNCTION pgmq.validate_queue_name(queue_name text)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF queue_name IS NULL OR queue_name !~ '^[a-z_][a-z0-9_]*$' THEN
    RAISE EXCEPTION 'invalid queue name %: must match ^[a-z_][a-z0-9_]*$', quote_nullable(queue_name)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF length(queue_name) > 47 THEN
    RAISE EXCEPTION 'queue name % is too long, maximum length is 47 characters', quote_literal(queue_name)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
END
$$;

-- `q` -> the queue table name, `a` -> the archive table name (unquoted; use with %I).
CREATE FUNCTION pgmq.format_table_name(queue_name text, prefix text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM pgmq.validate_queue_name(queue_name);
  IF prefix NOT IN ('q', 'a') THEN
    RAISE EXCEPTION 'invalid table prefix %', quote_nullable(prefix) USING ERRCODE = 'invalid_parameter_value';
  END IF;
  RETURN prefix || '_' || queue_name;
END
$$;

-- Serialises create/drop of one queue (same key as pgmq, so mixed callers agree).
CREATE FUNCTION pgmq.acquire_queue_lock(queue_name text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT pg_advisory_xact_lock(hashtext('pgmq.queue_' || queue_name));
$$;

------------------------------------------------------------------------------------
-- Queue lifecycle
------------------------------------------------------------------------------------

-- Idempotent; concurrent calls queue on the advisory lock, so none of them fails.
CREATE FUNCTION pgmq.create(queue_name text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  qtable text := pgmq.format_table_name(queue_name, 'q');
  atable text := pgmq.format_table_name(queue_name, 'a');
BEGIN
  PERFORM pgmq.acquire_queue_lock(queue_name);

  -- Checked first instead of IF NOT EXISTS, which would emit a NOTICE on every call.
  IF to_regclass(format('pgmq.%I', qtable)) IS NULL THEN
    EXECUTE format(
      'CREATE TABLE pgmq.%I (
         msg_id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
         read_ct integer NOT NULL DEFAULT 0,
         enqueued_at timestamptz NOT NULL DEFAULT now(),
         last_read_at timestamptz,
         vt timestamptz NOT NULL,
         message jsonb,
         headers jsonb
       )', qtable);
    EXECUTE format('CREATE INDEX %I ON pgmq.%I (vt ASC)', qtable || '_vt_idx', qtable);
  END IF;

  IF to_regclass(format('pgmq.%I', atable)) IS NULL THEN
    EXECUTE format(
      'CREATE TABLE pgmq.%I (
         msg_id bigint PRIMARY KEY,
         read_ct integer NOT NULL DEFAULT 0,
         enqueued_at timestamptz NOT NULL DEFAULT now(),
         last_read_at timestamptz,
         archived_at timestamptz NOT NULL DEFAULT now(),
         vt timestamptz NOT NULL,
         message jsonb,
         headers jsonb
       )', atable);
    EXECUTE format('CREATE INDEX %I ON pgmq.%I (archived_at)', 'archived_at_idx_' || queue_name, atable);
  END IF;

  INSERT INTO pgmq.meta (queue_name, is_partitioned, is_unlogged)
  VALUES (queue_name, false, false)
  ON CONFLICT DO NOTHING;
END
$$;

-- pgmq's name for the same thing.
CREATE FUNCTION pgmq.create_non_partitioned(queue_name text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT pgmq.create(queue_name);
$$;

-- false (and no error) when the queue does not exist.
CREATE FUNCTION pgmq.drop_queue(queue_name text)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  qtable text := pgmq.format_table_name(queue_name, 'q');
  atable text := pgmq.format_table_name(queue_name, 'a');
BEGIN
  PERFORM pgmq.acquire_queue_lock(queue_name);
  IF to_regclass(format('pgmq.%I', qtable)) IS NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('DROP TABLE IF EXISTS pgmq.%I', qtable);
  EXECUTE format('DROP TABLE IF EXISTS pgmq.%I', atable);
  DELETE FROM pgmq.meta AS m WHERE m.queue_name = drop_queue.queue_name;
  RETURN true;
END
$$;

-- Deletes every message (not the archive); returns how many were deleted.
CREATE FUNCTION pgmq.purge_queue(queue_name text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  deleted bigint;
BEGIN
  EXECUTE format('DELETE FROM pgmq.%I', pgmq.format_table_name(queue_name, 'q'));
  GET DIAGNOSTICS deleted = ROW_COUNT;
  RETURN deleted;
END
$$;

CREATE FUNCTION pgmq.list_queues()
RETURNS SETOF pgmq.queue_record
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT m.queue_name, m.is_partitioned, m.is_unlogged, m.created_at
  FROM pgmq.meta AS m
  ORDER BY m.queue_name;
$$;

------------------------------------------------------------------------------------
-- Sending
------------------------------------------------------------------------------------

-- The implementation; `delay` is the time the message becomes visible.
CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, headers jsonb, delay timestamptz)
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    'INSERT INTO pgmq.%I (vt, message, headers) VALUES ($1, $2, $3) RETURNING msg_id',
    pgmq.format_table_name(queue_name, 'q'))
  USING coalesce(delay, clock_timestamp()), msg, headers;
END
$$;

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb)
RETURNS SETOF bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT * FROM pgmq.send(queue_name, msg, NULL::jsonb, clock_timestamp());
$$;

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, headers jsonb)
RETURNS SETOF bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT * FROM pgmq.send(queue_name, msg, headers, clock_timestamp());
$$;

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, delay integer)
RETURNS SETOF bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT * FROM pgmq.send(queue_name, msg, NULL::jsonb, clock_timestamp() + make_interval(secs => delay));
$$;

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, delay timestamptz)
RETURNS SETOF bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT * FROM pgmq.send(queue_name, msg, NULL::jsonb, delay);
$$;

CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, headers jsonb, delay integer)
RETURNS SETOF bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT * FROM pgmq.send(queue_name, msg, headers, clock_timestamp() + make_interval(secs => delay));
$$;

-- The implementation. msg_ids come back in the order of `msgs`; headers[i] belongs
-- to msgs[i] (headers may be NULL, otherwise it must have the same length).
CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay timestamptz)
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF msgs IS NULL OR cardinality(msgs) = 0 THEN
    RAISE EXCEPTION 'msgs cannot be NULL or empty' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF headers IS NOT NULL AND cardinality(headers) <> cardinality(msgs) THEN
    RAISE EXCEPTION 'headers array length (%) must match msgs array length (%)',
      cardinality(headers), cardinality(msgs)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  RETURN QUERY EXECUTE format(
    'INSERT INTO pgmq.%I (vt, message, headers)
     SELECT $1, b.message, b.headers
     FROM unnest($2, $3) WITH ORDINALITY AS b (message, headers, position)
     ORDER BY b.position
     RETURNING msg_id',
    pgmq.format_table_name(queue_name, 'q'))
  USING coalesce(delay, clock_timestamp()), msgs, coalesce(headers, ARRAY[]::jsonb[]);
END
$$;

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[])
RETURNS SETOF bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT * FROM pgmq.send_batch(queue_name, msgs, NULL::jsonb[], clock_timestamp());
$$;

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[])
RETURNS SETOF bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT * FROM pgmq.send_batch(queue_name, msgs, headers, clock_timestamp());
$$;

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], delay integer)
RETURNS SETOF bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT * FROM pgmq.send_batch(queue_name, msgs, NULL::jsonb[], clock_timestamp() + make_interval(secs => delay));
$$;

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], delay timestamptz)
RETURNS SETOF bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT * FROM pgmq.send_batch(queue_name, msgs, NULL::jsonb[], delay);
$$;

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay integer)
RETURNS SETOF bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT * FROM pgmq.send_batch(queue_name, msgs, headers, clock_timestamp() + make_interval(secs => delay));
$$;

------------------------------------------------------------------------------------
-- Reading
------------------------------------------------------------------------------------

-- Claims up to `qty` visible messages (oldest first) for `vt` seconds. Rows locked by
-- a concurrent reader are skipped, so two readers never get the same message.
-- `conditional`: only messages whose body contains this JSON (@>); '{}' = all.
CREATE FUNCTION pgmq.read(queue_name text, vt integer, qty integer, conditional jsonb DEFAULT '{}')
RETURNS SETOF pgmq.message_record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    'WITH picked AS (
       SELECT q.msg_id
       FROM pgmq.%1$I AS q
       WHERE q.vt <= clock_timestamp()
         AND ($3 = ''{}''::jsonb OR q.message @> $3)
       ORDER BY q.msg_id
       LIMIT $1
       FOR UPDATE SKIP LOCKED
     ), claimed AS (
       UPDATE pgmq.%1$I AS m
       SET vt = clock_timestamp() + make_interval(secs => $2),
           read_ct = m.read_ct + 1,
           last_read_at = clock_timestamp()
       FROM picked
       WHERE m.msg_id = picked.msg_id
       RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers
     )
     SELECT * FROM claimed ORDER BY msg_id',
    pgmq.format_table_name(queue_name, 'q'))
  USING qty, vt, coalesce(conditional, '{}'::jsonb);
END
$$;

-- Reads and deletes up to `qty` visible messages (oldest first).
CREATE FUNCTION pgmq.pop(queue_name text, qty integer DEFAULT 1)
RETURNS SETOF pgmq.message_record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    'WITH picked AS (
       SELECT q.msg_id
       FROM pgmq.%1$I AS q
       WHERE q.vt <= clock_timestamp()
       ORDER BY q.msg_id
       LIMIT $1
       FOR UPDATE SKIP LOCKED
     ), popped AS (
       DELETE FROM pgmq.%1$I AS m
       USING picked
       WHERE m.msg_id = picked.msg_id
       RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers
     )
     SELECT * FROM popped ORDER BY msg_id',
    pgmq.format_table_name(queue_name, 'q'))
  USING qty;
END
$$;

-- Makes a message visible at `vt`; returns it (no row when it does not exist).
CREATE FUNCTION pgmq.set_vt(queue_name text, msg_id bigint, vt timestamptz)
RETURNS SETOF pgmq.message_record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    'UPDATE pgmq.%I AS m SET vt = $1 WHERE m.msg_id = $2
     RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers',
    pgmq.format_table_name(queue_name, 'q'))
  USING vt, msg_id;
END
$$;

-- `vt` seconds from now (0 = visible immediately).
CREATE FUNCTION pgmq.set_vt(queue_name text, msg_id bigint, vt integer)
RETURNS SETOF pgmq.message_record
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT * FROM pgmq.set_vt(queue_name, msg_id, clock_timestamp() + make_interval(secs => vt));
$$;

CREATE FUNCTION pgmq.set_vt(queue_name text, msg_ids bigint[], vt timestamptz)
RETURNS SETOF pgmq.message_record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    'UPDATE pgmq.%I AS m SET vt = $1 WHERE m.msg_id = ANY($2)
     RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers',
    pgmq.format_table_name(queue_name, 'q'))
  USING vt, msg_ids;
END
$$;

CREATE FUNCTION pgmq.set_vt(queue_name text, msg_ids bigint[], vt integer)
RETURNS SETOF pgmq.message_record
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT * FROM pgmq.set_vt(queue_name, msg_ids, clock_timestamp() + make_interval(secs => vt));
$$;

------------------------------------------------------------------------------------
-- Acknowledging
------------------------------------------------------------------------------------

CREATE FUNCTION pgmq.delete(queue_name text, msg_id bigint)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  deleted bigint;
BEGIN
  EXECUTE format('DELETE FROM pgmq.%I AS m WHERE m.msg_id = $1 RETURNING m.msg_id',
                 pgmq.format_table_name(queue_name, 'q'))
  INTO deleted
  USING msg_id;
  RETURN deleted IS NOT NULL;
END
$$;

-- Returns the ids that were deleted.
CREATE FUNCTION pgmq.delete(queue_name text, msg_ids bigint[])
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN QUERY EXECUTE format('DELETE FROM pgmq.%I AS m WHERE m.msg_id = ANY($1) RETURNING m.msg_id',
                              pgmq.format_table_name(queue_name, 'q'))
  USING msg_ids;
END
$$;

-- Moves a message to the archive table a_<queue>.
CREATE FUNCTION pgmq.archive(queue_name text, msg_id bigint)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  archived bigint;
BEGIN
  EXECUTE format(
    'WITH moved AS (
       DELETE FROM pgmq.%I AS m WHERE m.msg_id = $1
       RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers
     )
     INSERT INTO pgmq.%I (msg_id, read_ct, enqueued_at, last_read_at, archived_at, vt, message, headers)
     SELECT msg_id, read_ct, enqueued_at, last_read_at, clock_timestamp(), vt, message, headers FROM moved
     RETURNING msg_id',
    pgmq.format_table_name(queue_name, 'q'), pgmq.format_table_name(queue_name, 'a'))
  INTO archived
  USING msg_id;
  RETURN archived IS NOT NULL;
END
$$;

-- Returns the ids that were archived.
CREATE FUNCTION pgmq.archive(queue_name text, msg_ids bigint[])
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    'WITH moved AS (
       DELETE FROM pgmq.%I AS m WHERE m.msg_id = ANY($1)
       RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers
     )
     INSERT INTO pgmq.%I (msg_id, read_ct, enqueued_at, last_read_at, archived_at, vt, message, headers)
     SELECT msg_id, read_ct, enqueued_at, last_read_at, clock_timestamp(), vt, message, headers FROM moved
     RETURNING msg_id',
    pgmq.format_table_name(queue_name, 'q'), pgmq.format_table_name(queue_name, 'a'))
  USING msg_ids;
END
$$;

------------------------------------------------------------------------------------
-- Metrics
------------------------------------------------------------------------------------

CREATE FUNCTION pgmq.metrics(queue_name text)
RETURNS pgmq.metrics_result
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  qtable text := pgmq.format_table_name(queue_name, 'q');
  result pgmq.metrics_result;
BEGIN
  EXECUTE format(
    'SELECT $1::text,
            count(*),
            extract(epoch FROM clock_timestamp() - max(q.enqueued_at))::integer,
            extract(epoch FROM clock_timestamp() - min(q.enqueued_at))::integer,
            coalesce(pg_sequence_last_value(pg_get_serial_sequence($2, ''msg_id'')::regclass), 0),
            clock_timestamp(),
            count(*) FILTER (WHERE q.vt <= clock_timestamp())
     FROM pgmq.%I AS q',
    qtable)
  INTO result
  USING queue_name, format('pgmq.%I', qtable);
  RETURN result;
END
$$;

CREATE FUNCTION pgmq.metrics_all()
RETURNS SETOF pgmq.metrics_result
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  queue text;
BEGIN
  FOR queue IN SELECT m.queue_name FROM pgmq.meta AS m ORDER BY m.queue_name LOOP
    RETURN NEXT pgmq.metrics(queue);
  END LOOP;
END
$$;
