/**
 * Synthetic workflow data for the SQL benchmarks, written with set-based SQL (a few
 * INSERT ... SELECT statements per batch, no per-row round trips), so 50,000 tasks
 * take seconds. It writes rows the engine's own functions would have written: tasks,
 * steps with `remaining_dependencies`, DAG edges, and the transition histories (the
 * path each state takes, in sort_key order).
 *
 * Shapes (steps have parents with lower indexes only):
 *   linear  i <- i-1
 *   diamond 0 -> 1..n-2 -> n-1
 *   tree    i <- (i-1)/2 (binary fan-out)
 *   mixed   1,2 <- 0; i <- i-2, i-3 (multi-convergence)
 *   fanout  no edges (every step ready at once; weight 0 by default, used for discovery to enqueue)
 * Task fates (the seed's distribution): 60% complete, 20% in progress
 * (`steps_in_process`: a prefix complete, the frontier enqueued or in_progress),
 * 10% waiting for retry (the frontier in `waiting_for_retry`, the task in
 * `waiting_for_dependencies` as evaluate_task parks it; ~15% of the retries are due),
 * 5% error (the frontier in `error`; the task half `blocked_by_failures`, half `error`),
 * 5% pending (never evaluated: what ready-task selection finds).
 *
 *   bun bench/generateDataset.ts [--tasks 50000]   # times generation into a fresh database
 */
import type { Sql } from "postgres";
import postgres from "postgres";
import { withBenchDatabase } from "./support/benchDatabase.ts";

export type Shape = "linear" | "diamond" | "tree" | "mixed" | "fanout";
export const SHAPES: readonly Shape[] = ["linear", "diamond", "tree", "mixed", "fanout"];

export interface GeneratorConfig {
  avgStepsPerTask: number;
  /** Relative spread of the step count: n = avg * (1 ± variance), uniformly. */
  stepCountVariance: number;
  namespaceCount: number;
  /** Share of each shape; normalised. */
  complexity: Record<Shape, number>;
  /** Shares of task fates; normalised. */
  fates: { complete: number; in_progress: number; waiting_for_retry: number; error: number; pending: number };
}

export const DEFAULT_GENERATOR_CONFIG: GeneratorConfig = {
  avgStepsPerTask: 6,
  stepCountVariance: 0.5,
  namespaceCount: 4,
  complexity: { linear: 0.25, diamond: 0.25, tree: 0.25, mixed: 0.25, fanout: 0 },
  fates: { complete: 0.6, in_progress: 0.2, waiting_for_retry: 0.1, error: 0.05, pending: 0.05 },
};

/** The bench process that "holds" in-progress steps (heart-beating, so the reaper leaves them). */
export const GENERATOR_PROCESS_UUID = "01900000-0000-7000-8000-00000000beef";

const MAX_STEPS = 64;

function cumulative<K extends string>(weights: Record<K, number>, order: readonly K[]): number[] {
  const total = order.reduce((a, k) => a + weights[k], 0);
  let acc = 0;
  return order.map((k) => (acc += weights[k] / total));
}

/** Namespaces, one template per (namespace, shape), the step-name registry and the holder process. */
export async function prepareCatalog(sql: Sql, config: GeneratorConfig = DEFAULT_GENERATOR_CONFIG): Promise<void> {
  await sql`
    CREATE OR REPLACE FUNCTION public.bench_uuid_v7() RETURNS uuid LANGUAGE sql VOLATILE AS $$
      SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
               PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
               FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid $$`;
  await sql`
    INSERT INTO tasker.named_steps (name)
    SELECT 'step_' || i FROM generate_series(0, ${MAX_STEPS - 1}::int) i ON CONFLICT (name) DO NOTHING`;
  await sql`
    INSERT INTO tasker.task_namespaces (name)
    SELECT 'bench_ns_' || i FROM generate_series(0, ${config.namespaceCount - 1}::int) i ON CONFLICT (name) DO NOTHING`;
  // The configuration is a representative template of the shape (task step counts vary around it).
  await sql`
    INSERT INTO tasker.named_tasks (task_namespace_uuid, name, version, configuration)
    SELECT ns.task_namespace_uuid, shape, '1.0.0',
           jsonb_build_object('name', shape, 'namespace_name', ns.name, 'version', '1.0.0', 'steps',
             (SELECT jsonb_agg(jsonb_build_object('name', 'step_' || i, 'handler', jsonb_build_object('callable', 'noop'),
                                                  'dependencies', '[]'::jsonb) ORDER BY i)
                FROM generate_series(0, ${config.avgStepsPerTask - 1}::int) i))
      FROM tasker.task_namespaces ns CROSS JOIN unnest(${SHAPES as string[]}::text[]) shape
     WHERE ns.name LIKE 'bench_ns_%'
    ON CONFLICT DO NOTHING`;
  await sql`
    INSERT INTO tasker.processes (process_uuid, role, namespaces, hostname, pid, version)
    VALUES (${GENERATOR_PROCESS_UUID}::uuid, 'worker', '{}', 'bench', ${process.pid}::int, 'bench')
    ON CONFLICT (process_uuid) DO UPDATE SET heartbeat_at = clock_timestamp() + interval '1 day', stopped_at = NULL`;
  await sql`UPDATE tasker.processes SET heartbeat_at = clock_timestamp() + interval '1 day' WHERE process_uuid = ${GENERATOR_PROCESS_UUID}::uuid`;
}

export interface BatchStats {
  tasks: number;
  steps: number;
  edges: number;
  transitions: number;
  ms: number;
  phasesMs: number[];
}

/** Adds `count` tasks (set-based, one transaction). `seed` makes a batch reproducible. */
export async function generateTasks(
  sql: Sql,
  count: number,
  seed: number,
  config: GeneratorConfig = DEFAULT_GENERATOR_CONFIG,
): Promise<BatchStats> {
  const started = performance.now();
  const shapeCuts = cumulative(config.complexity, SHAPES);
  const fateOrder = ["complete", "in_progress", "waiting_for_retry", "error", "pending"] as const;
  const fateCuts = cumulative(config.fates, fateOrder);
  const minSteps = 3;
  // Cuts below 1 only: a float sum like 0.6 + 0.2 + 0.1 + 0.05 + 0.05 may exceed 1.
  shapeCuts.pop();
  fateCuts.pop();
  const phases: number[] = [];
  const stats = await sql.begin(async (tx) => {
    const phase = async (i: number, q: () => PromiseLike<unknown>): Promise<void> => {
      const t = performance.now();
      await q();
      phases[i] = Math.round(performance.now() - t);
    };
    // The rows are consistent by construction: skip the per-row foreign-key triggers.
    await phase(1, () => tx`SET LOCAL session_replication_role = replica`);
    await phase(2, () => tx`SELECT setseed(${(seed % 1000) / 1000}::float8)`);
    await phase(3, () => tx`
      CREATE TEMP TABLE gen_tasks ON COMMIT DROP AS
      WITH r AS (
        SELECT i, random() AS r_shape, random() AS r_fate, random() AS r_n, random() AS r_cut, random() AS r_age,
               random() AS r_ns, random() AS r_prio
          FROM generate_series(1, ${count}::int) i
      ), shaped AS (
        SELECT r.*,
               (${SHAPES as string[]}::text[])[1 + (SELECT count(*) FROM unnest(${shapeCuts}::float8[]) c WHERE r_shape > c)::int] AS shape,
               (${fateOrder}::text[])[1 + (SELECT count(*) FROM unnest(${fateCuts}::float8[]) c WHERE r_fate > c)::int] AS fate,
               least(${MAX_STEPS}::int, greatest(${minSteps}::int,
                 round(${config.avgStepsPerTask}::float8 * (1 + ${config.stepCountVariance}::float8 * (2 * r_n - 1)))::int)) AS n
          FROM r
      )
      SELECT s.i, public.bench_uuid_v7() AS task_uuid, s.shape, s.fate, s.n,
             1 + floor(s.r_cut * (s.n - 1))::int AS cut,
             clock_timestamp() - s.r_age * interval '24 hours' AS created_at,
             floor(s.r_prio * 3)::int AS priority,
             nt.named_task_uuid
        FROM shaped s
        JOIN tasker.task_namespaces ns ON ns.name = 'bench_ns_' || floor(s.r_ns * ${config.namespaceCount}::int)::int
        JOIN tasker.named_tasks nt ON nt.task_namespace_uuid = ns.task_namespace_uuid AND nt.name = s.shape`);
    await phase(4, () => tx`
      CREATE TEMP TABLE gen_steps ON COMMIT DROP AS
      WITH base AS (
        SELECT g.task_uuid, g.fate, g.cut, g.n, g.i AS task_i, g.created_at, st.i,
               CASE g.shape
                 WHEN 'linear' THEN CASE WHEN st.i > 0 THEN ARRAY[st.i - 1] ELSE '{}' END
                 WHEN 'diamond' THEN CASE WHEN st.i = 0 THEN '{}'::int[]
                                          WHEN st.i < g.n - 1 THEN ARRAY[0]
                                          ELSE ARRAY(SELECT generate_series(1, g.n - 2)) END
                 WHEN 'tree' THEN CASE WHEN st.i > 0 THEN ARRAY[(st.i - 1) / 2] ELSE '{}' END
                 WHEN 'fanout' THEN '{}'::int[]
                 ELSE CASE WHEN st.i = 0 THEN '{}'::int[] WHEN st.i < 3 THEN ARRAY[0] ELSE ARRAY[st.i - 2, st.i - 3] END
               END AS parents
          FROM gen_tasks g CROSS JOIN LATERAL generate_series(0, g.n - 1) st(i)
      ), placed AS (
        SELECT b.*,
               (SELECT count(*) FROM unnest(b.parents) p WHERE p >= b.cut)::int AS open_parents
          FROM base b
      )
      SELECT p.task_uuid, p.i, p.parents, public.bench_uuid_v7() AS step_uuid, p.created_at,
             CASE
               WHEN p.fate = 'complete' THEN 'complete'
               WHEN p.fate = 'pending' THEN 'pending'
               WHEN p.i < p.cut THEN 'complete'
               WHEN p.open_parents > 0 THEN 'pending'
               WHEN p.fate = 'in_progress' THEN CASE WHEN p.i % 2 = 0 THEN 'in_progress' ELSE 'enqueued' END
               WHEN p.fate = 'waiting_for_retry' THEN 'waiting_for_retry'
               ELSE 'error'
             END AS state,
             CASE WHEN p.fate = 'pending' THEN cardinality(p.parents)
                  WHEN p.fate = 'complete' THEN 0
                  ELSE p.open_parents END AS remaining,
             p.task_i
        FROM placed p`);
    await phase(5, () => tx`CREATE INDEX ON gen_steps (task_uuid, i)`);
    await phase(6, () => tx`ANALYZE gen_steps`);
    // The path each final state took; sort_key = position in it.
    await phase(7, () => tx`
      CREATE TEMP TABLE gen_paths ON COMMIT DROP AS
      SELECT * FROM (VALUES
        ('pending', ARRAY['pending']),
        ('enqueued', ARRAY['pending', 'enqueued']),
        ('in_progress', ARRAY['pending', 'enqueued', 'in_progress']),
        ('complete', ARRAY['pending', 'enqueued', 'in_progress', 'enqueued_for_orchestration', 'complete']),
        ('waiting_for_retry', ARRAY['pending', 'enqueued', 'in_progress', 'enqueued_as_error_for_orchestration', 'waiting_for_retry']),
        ('error', ARRAY['pending', 'enqueued', 'in_progress', 'enqueued_as_error_for_orchestration', 'error']),
        ('steps_in_process', ARRAY['pending', 'initializing', 'enqueuing_steps', 'steps_in_process']),
        ('waiting_for_dependencies', ARRAY['pending', 'initializing', 'enqueuing_steps', 'steps_in_process', 'evaluating_results', 'waiting_for_dependencies']),
        ('blocked_by_failures', ARRAY['pending', 'initializing', 'enqueuing_steps', 'steps_in_process', 'evaluating_results', 'blocked_by_failures']),
        ('task_complete', ARRAY['pending', 'initializing', 'enqueuing_steps', 'steps_in_process', 'evaluating_results', 'complete']),
        ('task_error', ARRAY['pending', 'initializing', 'enqueuing_steps', 'steps_in_process', 'evaluating_results', 'blocked_by_failures', 'error']),
        ('task_pending', ARRAY['pending'])
      ) AS v(final, path)`);
    await phase(8, () => tx`
      INSERT INTO tasker.tasks (task_uuid, named_task_uuid, state, state_entered_at, transition_count, complete,
                                requested_at, completed_at, context, identity_hash, idempotency_key, priority,
                                correlation_id, owner_process_uuid, created_at, updated_at)
      SELECT g.task_uuid, g.named_task_uuid, ts.state, g.created_at + interval '1 second', cardinality(p.path),
             ts.state = 'complete', g.created_at,
             CASE WHEN ts.state IN ('complete', 'error') THEN g.created_at + interval '2 seconds' END,
             jsonb_build_object('even_number', 6, 'i', g.i), 'bench-' || g.task_uuid, 'bench-' || ${seed}::int || '-' || g.i,
             g.priority, gen_random_uuid(), NULL, g.created_at, g.created_at
        FROM gen_tasks g
        CROSS JOIN LATERAL (SELECT CASE g.fate
                              WHEN 'complete' THEN 'complete'
                              WHEN 'in_progress' THEN 'steps_in_process'
                              WHEN 'waiting_for_retry' THEN 'waiting_for_dependencies'
                              WHEN 'pending' THEN 'pending'
                              ELSE CASE WHEN g.i % 2 = 0 THEN 'blocked_by_failures' ELSE 'error' END END AS state) ts
        JOIN gen_paths p ON p.final = CASE ts.state WHEN 'complete' THEN 'task_complete' WHEN 'error' THEN 'task_error'
                                                    WHEN 'pending' THEN 'task_pending' ELSE ts.state END`);
    await phase(9, () => tx`
      INSERT INTO tasker.task_transitions (task_transition_uuid, task_uuid, from_state, to_state, event, sort_key, created_at, updated_at)
      SELECT public.bench_uuid_v7(), t.task_uuid, p.path[k - 1], p.path[k], 'bench', k,
             t.created_at + k * interval '10 ms', t.created_at + k * interval '10 ms'
        FROM gen_tasks g JOIN tasker.tasks t USING (task_uuid)
        JOIN gen_paths p ON p.final = CASE t.state WHEN 'complete' THEN 'task_complete' WHEN 'error' THEN 'task_error'
                                                   WHEN 'pending' THEN 'task_pending' ELSE t.state END
        CROSS JOIN LATERAL generate_subscripts(p.path, 1) k`);
    await phase(10, () => tx`
      INSERT INTO tasker.workflow_steps (workflow_step_uuid, task_uuid, named_step_uuid, position, state, state_entered_at,
                                         transition_count, remaining_dependencies, attempts, max_attempts, in_process, processed,
                                         processed_at, last_attempted_at, next_retry_at, claimed_by, lease_expires_at,
                                         inputs, results, created_at, updated_at)
      SELECT s.step_uuid, s.task_uuid, ns.named_step_uuid, s.i, s.state, s.created_at + interval '1 second',
             cardinality(p.path), s.remaining,
             CASE s.state WHEN 'pending' THEN 0 WHEN 'enqueued' THEN 0 WHEN 'error' THEN 3 ELSE 1 END, 3,
             s.state = 'in_progress', s.state = 'complete',
             CASE WHEN s.state = 'complete' THEN s.created_at + interval '1 second' END,
             CASE WHEN s.state NOT IN ('pending', 'enqueued') THEN s.created_at END,
             CASE WHEN s.state = 'waiting_for_retry'
                  THEN clock_timestamp() + (((s.task_i * 7919) % 140) - 20) * interval '1 second' END,
             CASE WHEN s.state = 'in_progress' THEN ${GENERATOR_PROCESS_UUID}::uuid END,
             CASE WHEN s.state = 'in_progress' THEN clock_timestamp() + interval '1 hour' END,
             NULL,
             CASE WHEN s.state = 'complete'
                  THEN jsonb_build_object('success', true, 'status', 'completed', 'result', jsonb_build_object('value', s.i))
                  WHEN s.state IN ('waiting_for_retry', 'error')
                  THEN jsonb_build_object('success', false, 'status', 'error', 'result', NULL,
                                          'error', jsonb_build_object('message', 'bench', 'error_type', 'bench', 'retryable', s.state <> 'error'))
             END,
             s.created_at, s.created_at
        FROM gen_steps s
        JOIN tasker.named_steps ns ON ns.name = 'step_' || s.i
        JOIN gen_paths p ON p.final = s.state`);
    await phase(11, () => tx`
      INSERT INTO tasker.workflow_step_edges (workflow_step_edge_uuid, from_step_uuid, to_step_uuid, created_at, updated_at)
      SELECT public.bench_uuid_v7(), parent.step_uuid, child.step_uuid, child.created_at, child.created_at
        FROM gen_steps child
        CROSS JOIN LATERAL unnest(child.parents) AS pi(i)
        JOIN gen_steps parent ON parent.task_uuid = child.task_uuid AND parent.i = pi.i`);
    await phase(12, () => tx`
      INSERT INTO tasker.workflow_step_transitions (workflow_step_transition_uuid, workflow_step_uuid, from_state, to_state, event, sort_key,
                                                    created_at, updated_at)
      SELECT public.bench_uuid_v7(), s.step_uuid, p.path[k - 1], p.path[k], 'bench', k,
             s.created_at + k * interval '10 ms', s.created_at + k * interval '10 ms'
        FROM gen_steps s JOIN gen_paths p ON p.final = s.state
        CROSS JOIN LATERAL generate_subscripts(p.path, 1) k`);
    const [row] = await tx<{ tasks: number; steps: number; edges: number; transitions: number }[]>`
      SELECT (SELECT count(*) FROM gen_tasks)::int AS tasks,
             (SELECT count(*) FROM gen_steps)::int AS steps,
             (SELECT coalesce(sum(cardinality(parents)), 0) FROM gen_steps)::int AS edges,
             (SELECT coalesce(sum(cardinality(p.path)), 0) FROM gen_steps s JOIN gen_paths p ON p.final = s.state)::int AS transitions`;
    return row!;
  });
  await sql`ANALYZE tasker.tasks, tasker.workflow_steps, tasker.workflow_step_edges, tasker.task_transitions, tasker.workflow_step_transitions`;
  return { ...stats, ms: performance.now() - started, phasesMs: phases.filter((x) => x !== undefined) };
}

if (import.meta.main) {
  const i = process.argv.indexOf("--tasks");
  const tasks = i >= 0 ? Number(process.argv[i + 1]) : 50_000;
  await withBenchDatabase("generate", { migrate: true }, async ({ url }) => {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await prepareCatalog(sql);
      const stats = await generateTasks(sql, tasks, 1);
      const dist = await sql`SELECT state, count(*)::int AS n FROM tasker.tasks GROUP BY state ORDER BY n DESC`;
      console.log(JSON.stringify({ ...stats, states: dist }, null, 2));
    } finally {
      await sql.end({ timeout: 5 });
    }
  });
}
