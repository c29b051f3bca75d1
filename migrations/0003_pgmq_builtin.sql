-- tasker:skip-if SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'pgmq')
SELECT 1;
