-- Use the real pgmq extension when this server offers it.
--
-- Three cases:
--   1. A schema `pgmq` already exists (extension installed by the platform, as on
--      Supabase, Tembo or Neon, or pgmq's SQL-only install): leave it alone.
--   2. The server can install the extension (pg_available_extensions lists it, at
--      version 1.5.1 or later, the first with message headers): install it.
--   3. Otherwise do nothing; 0003_pgmq_builtin.sql installs the project's own
--      PGMQ-compatible layer in schema `pgmq`.
--
-- When the role may not create the extension (it is not marked trusted), the
-- failure is reported as a NOTICE and case 3 applies.
DO $$
DECLARE
  available_version text;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'pgmq') THEN
    RETURN;
  END IF;

  SELECT default_version INTO available_version
  FROM pg_catalog.pg_available_extensions
  WHERE name = 'pgmq';

  IF available_version IS NULL THEN
    RETURN;
  END IF;

  IF available_version !~ '^\d+(\.\d+)*$'
     OR string_to_array(available_version, '.')::int[] < ARRAY[1, 5, 1] THEN
    RAISE NOTICE 'pgmq % is older than 1.5.1; using the built-in queue layer', available_version;
    RETURN;
  END IF;

  BEGIN
    CREATE EXTENSION IF NOT EXISTS pgmq;
  EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'not allowed to create extension pgmq (%); using the built-in queue layer', SQLERRM;
  END;
END
$$;
