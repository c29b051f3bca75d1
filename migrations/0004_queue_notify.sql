-- Send-with-notify and targeted reads on top of pgmq.
--
-- These functions use only pgmq's public functions and the q_<queue> table layout
-- that the real extension (>= 1.5.1) and the built-in layer (0003) share, so they
-- work on both.
--
-- Channels: `pgmq_message_ready.<namespace>`. The global channel
-- `pgmq_message_ready` is notified as well only when the setting
-- `tasker.notify_global_channel` is 'on' (ALTER DATABASE ... SET, or per session):
-- nothing in tasker listens to it, and every notification is written to the
-- server's shared notify queue whether or not anyone listens, so a second copy of
-- every payload is pure cost unless an external consumer wants it.

-- Above this message size (characters of its JSON text) notifications carry no payload.
CREATE FUNCTION tasker.pgmq_payload_size_threshold()
RETURNS integer
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $$
  SELECT 7000;
$$;

-- pg_notify's limit is 8000 bytes; anything above this is sent signal-only.
CREATE FUNCTION tasker.pgmq_notify_payload_limit()
RETURNS integer
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $$
  SELECT 7800;
$$;

-- orchestration* -> orchestration; worker_<ns>_queue -> <ns>; <ns>_queue -> <ns>; else default.
CREATE FUNCTION tasker.extract_queue_namespace(queue_name text)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $$
  SELECT CASE
    WHEN queue_name ~ '^orchestration' THEN 'orchestration'
    WHEN queue_name ~ '^worker_.+_queue$' THEN substring(queue_name FROM '^worker_(.+?)_queue$')
    WHEN queue_name ~ '^[A-Za-z][A-Za-z0-9_]*_queue$' THEN substring(queue_name FROM '^([A-Za-z][A-Za-z0-9_]*)_queue$')
    ELSE 'default'
  END;
$$;

-- The same rule as the application's assertQueueName (pgmq itself is more lenient).
CREATE FUNCTION tasker.assert_queue_name(queue_name text)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF queue_name IS NULL OR queue_name !~ '^[a-z_][a-z0-9_]*$' OR length(queue_name) > 47 THEN
    RAISE EXCEPTION 'invalid queue name %: must match ^[a-z_][a-z0-9_]*$ and be at most 47 characters',
      quote_nullable(left(queue_name, 80))
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
END
$$;

-- Notifies the namespace channel (and the global one when enabled).
CREATE FUNCTION tasker.pgmq_notify(queue_name text, payload jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  text_payload text := payload::text;
BEGIN
  PERFORM pg_notify('pgmq_message_ready.' || tasker.extract_queue_namespace(queue_name), text_payload);
  IF coalesce(current_setting('tasker.notify_global_channel', true), '') = 'on' THEN
    PERFORM pg_notify('pgmq_message_ready', text_payload);
  END IF;
END
$$;

-- pgmq.send plus, in the same transaction, a notification on pgmq_message_ready.<ns>:
-- the message inline when its JSON is under 7000 characters (and the payload fits
-- pg_notify), otherwise a signal the listener answers with pgmq_read_specific_message.
CREATE FUNCTION tasker.pgmq_send_with_notify(
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

  SELECT s INTO new_id FROM pgmq.send(queue_name, message, headers, delay) AS s;
  ready_at := clock_timestamp() + make_interval(secs => delay);

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

-- pgmq.send_batch plus one `batch_ready` notification. msg_ids come back in the
-- order of `messages`. If the id list would not fit a notification, only the first
-- id is listed and `truncated` is true (message_count is always the full count).
CREATE FUNCTION tasker.pgmq_send_batch_with_notify(
  queue_name text,
  messages jsonb[],
  delay_seconds integer DEFAULT 0,
  headers jsonb[] DEFAULT NULL
)
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  delay integer := coalesce(delay_seconds, 0);
  ids bigint[];
  payload jsonb;
BEGIN
  PERFORM tasker.assert_queue_name(queue_name);
  IF delay < 0 THEN
    RAISE EXCEPTION 'delay_seconds must not be negative (got %)', delay USING ERRCODE = 'invalid_parameter_value';
  END IF;

  SELECT array_agg(s ORDER BY n) INTO ids
  FROM pgmq.send_batch(queue_name, messages, headers, delay) WITH ORDINALITY AS b (s, n);

  payload := jsonb_build_object(
    'event_type', 'batch_ready',
    'msg_ids', to_jsonb(ids),
    'queue_name', queue_name,
    'namespace', tasker.extract_queue_namespace(queue_name),
    'message_count', coalesce(cardinality(ids), 0),
    'ready_at', clock_timestamp() + make_interval(secs => delay),
    'delay_seconds', delay);
  IF octet_length(payload::text) > tasker.pgmq_notify_payload_limit() THEN
    payload := payload || jsonb_build_object('msg_ids', jsonb_build_array(ids[1]), 'truncated', true);
  END IF;

  PERFORM tasker.pgmq_notify(queue_name, payload);
  RETURN QUERY SELECT unnest(ids);
END
$$;

-- Claims one specific message if it is visible: atomically sets its visibility
-- timeout and increments read_ct, like pgmq.read does for the oldest ones. Returns
-- no row when the message is invisible (claimed by someone else), deleted or
-- archived. Raises undefined_table (42P01) when the queue does not exist.
CREATE FUNCTION tasker.pgmq_read_specific_message(
  queue_name text,
  target_msg_id bigint,
  vt_seconds integer DEFAULT 30
)
RETURNS TABLE (
  msg_id bigint,
  read_ct integer,
  enqueued_at timestamptz,
  vt timestamptz,
  message jsonb,
  headers jsonb
)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  qtable text := 'q_' || queue_name;
  -- pgmq before 1.9 has no last_read_at column; set it only where it exists.
  touch_last_read text := '';
BEGIN
  PERFORM tasker.assert_queue_name(queue_name);
  IF vt_seconds IS NULL OR vt_seconds < 0 THEN
    RAISE EXCEPTION 'vt_seconds must not be negative (got %)', vt_seconds USING ERRCODE = 'invalid_parameter_value';
  END IF;

  IF EXISTS (
    SELECT 1
    FROM pg_attribute AS a
    JOIN pg_class AS c ON c.oid = a.attrelid
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE n.nspname = 'pgmq' AND c.relname = qtable AND a.attname = 'last_read_at' AND NOT a.attisdropped
  ) THEN
    touch_last_read := ', last_read_at = clock_timestamp()';
  END IF;

  RETURN QUERY EXECUTE format(
    'UPDATE pgmq.%I AS m
     SET vt = clock_timestamp() + make_interval(secs => $2),
         read_ct = m.read_ct + 1%s
     WHERE m.msg_id = $1 AND m.vt <= clock_timestamp()
     RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message, m.headers',
    qtable, touch_last_read)
  USING target_msg_id, vt_seconds;
END
$$;
