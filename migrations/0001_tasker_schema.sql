-- The project's schema and its UUID v7 generator.
-- PostgreSQL 15 has no uuidv7(); the application generates keys with the `uuid`
-- package, and this function serves SQL defaults and set-based inserts.

CREATE SCHEMA IF NOT EXISTS tasker;

-- RFC 9562 UUID version 7: 48-bit Unix time in milliseconds, then version and
-- variant bits, the rest random. VOLATILE: every call returns a new value.
CREATE OR REPLACE FUNCTION tasker.uuid_generate_v7()
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
PARALLEL SAFE
SET search_path = pg_catalog
AS $$
DECLARE
  unix_ms bigint := floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint;
  -- 16 random bytes from the built-in v4 generator (pgcrypto not required);
  -- its version and variant bits are overwritten below.
  bytes bytea := uuid_send(gen_random_uuid());
BEGIN
  -- bytes 0..5: timestamp, big-endian
  bytes := set_byte(bytes, 0, ((unix_ms >> 40) & 255)::int);
  bytes := set_byte(bytes, 1, ((unix_ms >> 32) & 255)::int);
  bytes := set_byte(bytes, 2, ((unix_ms >> 24) & 255)::int);
  bytes := set_byte(bytes, 3, ((unix_ms >> 16) & 255)::int);
  bytes := set_byte(bytes, 4, ((unix_ms >> 8) & 255)::int);
  bytes := set_byte(bytes, 5, (unix_ms & 255)::int);
  -- byte 6: version 7 in the high nibble
  bytes := set_byte(bytes, 6, ((get_byte(bytes, 6) & 15) | 112));
  -- byte 8: variant 10xx
  bytes := set_byte(bytes, 8, ((get_byte(bytes, 8) & 63) | 128));
  RETURN encode(bytes, 'hex')::uuid;
END
$$;
