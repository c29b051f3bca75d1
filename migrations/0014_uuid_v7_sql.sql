-- uuid_generate_v7 as one SQL expression instead of ten PL/pgSQL statements: the same
-- RFC 9562 layout (48-bit Unix milliseconds, version 7, variant 10, random rest), about
-- 2.5x cheaper per call, and inlinable where the planner can. The engine's functions call it
-- for every transition and audit row (about five times a step).
-- No SET search_path (it would prevent inlining): every name is pg_catalog's, either
-- qualified or SQL-standard syntax (overlay, substring, extract), which always is.
CREATE OR REPLACE FUNCTION tasker.uuid_generate_v7()
RETURNS uuid
LANGUAGE sql
VOLATILE
PARALLEL SAFE
AS $$
  SELECT pg_catalog.encode(
           pg_catalog.set_bit(pg_catalog.set_bit(
             overlay(pg_catalog.uuid_send(pg_catalog.gen_random_uuid())
                     PLACING substring(pg_catalog.int8send(
                               pg_catalog.floor(extract(epoch FROM pg_catalog.clock_timestamp()) * 1000)::bigint) FROM 3)
                     FROM 1 FOR 6),
             52, 1), 53, 1),
           'hex')::uuid
$$;
