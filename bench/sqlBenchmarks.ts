/**
 * SQL benchmarks against a generated dataset (bench/generateDataset.ts): ready-task
 * selection and step readiness at growing sizes, discovery-to-enqueue of a 10-step task,
 * and the state-transition CAS under contention. Latencies are client round trips on
 * one postgres.js connection (prepared statements, as the engine issues them), in ms.
 */
import postgres, { type Sql } from "postgres";
import { GENERATOR_PROCESS_UUID, type Shape } from "./generateDataset.ts";
import { distribution, type Distribution } from "./support/stats.ts";

export const READY_TASK_BATCH = 5; // orchestration.ready_task_batch_size default

async function loop(iterations: number, call: (i: number) => Promise<unknown>): Promise<number[]> {
  const warmup = Math.min(20, Math.ceil(iterations / 10));
  for (let i = 0; i < warmup; i += 1) await call(i);
  const out: number[] = [];
  for (let i = 0; i < iterations; i += 1) {
    const t = performance.now();
    await call(i);
    out.push(performance.now() - t);
  }
  return out;
}

/** `tasker.next_ready_tasks` as the readiness poller calls it; also how many rows it returned. */
export async function benchReadyTasks(sql: Sql, iterations: number): Promise<Distribution & { rows: number }> {
  let rows = 0;
  const samples = await loop(iterations, async () => {
    rows = (await sql`SELECT * FROM tasker.next_ready_tasks(${READY_TASK_BATCH}::int)`).length;
  });
  return { ...distribution(samples), rows };
}

/** Tasks of a shape in steps_in_process (the state in which evaluate_task reads the context). */
export async function sampleTasks(sql: Sql, shape: Shape, state: string, limit: number): Promise<string[]> {
  const rows = await sql<{ task_uuid: string }[]>`
    SELECT t.task_uuid FROM tasker.tasks t JOIN tasker.named_tasks nt USING (named_task_uuid)
     WHERE nt.name = ${shape} AND t.state = ${state} ORDER BY t.task_uuid LIMIT ${limit}`;
  return rows.map((r) => r.task_uuid);
}

/** `tasker.task_execution_context` (step readiness of one task), cycling over up to 50 tasks of the shape. */
export async function benchStepReadiness(sql: Sql, shape: Shape, iterations: number): Promise<Distribution | null> {
  const tasks = await sampleTasks(sql, shape, "steps_in_process", 50);
  if (tasks.length === 0) return null;
  const samples = await loop(iterations, async (i) => {
    await sql`SELECT * FROM tasker.task_execution_context(${tasks[i % tasks.length]!}::uuid)`;
  });
  return distribution(samples);
}

/**
 * Discovery to enqueue: `tasker.evaluate_task` on pending 10-step fan-out tasks (every
 * step ready): task_execution_context, the ready-step scan, 10 step CASes and 10
 * pgmq sends with pg_notify, committed. Each task is evaluated once.
 */
export async function benchDiscoveryToEnqueue(sql: Sql, taskUuids: readonly string[]): Promise<{ client: Distribution; inside: Distribution; enqueued: number }> {
  let enqueued = 0;
  const samples: number[] = [];
  for (const uuid of taskUuids) {
    const t = performance.now();
    const [row] = await sql<{ r: { enqueued?: unknown[] } }[]>`
      SELECT tasker.evaluate_task(${uuid}::uuid, ${GENERATOR_PROCESS_UUID}::uuid) AS r`;
    samples.push(performance.now() - t);
    enqueued += row?.r.enqueued?.length ?? 0;
  }
  // Inside the transaction: from `initializing` (discovery starts) to `steps_in_process` (last send done).
  const inside = await sql<{ ms: number }[]>`
    SELECT (extract(epoch FROM max(tr.created_at) FILTER (WHERE tr.to_state = 'steps_in_process')
                              - max(tr.created_at) FILTER (WHERE tr.to_state = 'initializing')) * 1000)::float8 AS ms
      FROM tasker.task_transitions tr
     WHERE tr.task_uuid = ANY (${taskUuids as string[]}::uuid[]) AND tr.event <> 'bench'
     GROUP BY tr.task_uuid`;
  return { client: distribution(samples.slice(Math.min(5, samples.length - 1))), inside: distribution(inside.map((r) => r.ms)), enqueued };
}

export interface CasResult {
  connections: number;
  hotTasks: number;
  calls: number;
  /** CASes that found the expected state and moved it. */
  wins: number;
  /** CASes that found another state (somebody else moved it first). */
  misses: number;
  /** Calls that raised TK001 although the transition is allowed (A-B-A under contention). */
  abaErrors: number;
  callsPerSecond: number;
  latency: Distribution;
}

/**
 * `tasker.transition_task_state` from several connections on the same few tasks: each
 * call moves a task between waiting_for_dependencies and evaluating_results (both
 * directions are allowed), expecting the state it last saw; a lost race returns NULL.
 */
export async function benchCasContention(url: string, taskUuids: readonly string[], connections: number, durationMs: number): Promise<CasResult> {
  const setup = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await setup`UPDATE tasker.tasks SET state = 'waiting_for_dependencies' WHERE task_uuid = ANY (${taskUuids as string[]}::uuid[])`;
  } finally {
    await setup.end({ timeout: 5 });
  }
  const clients = Array.from({ length: connections }, () => postgres(url, { max: 1, onnotice: () => {} }));
  const latencies: number[] = [];
  let wins = 0;
  let misses = 0;
  let abaErrors = 0;
  try {
    await Promise.all(clients.map((c) => c`SELECT 1`));
    const deadline = performance.now() + durationMs;
    const started = performance.now();
    await Promise.all(
      clients.map(async (c, ci) => {
        let i = ci;
        while (performance.now() < deadline) {
          const task = taskUuids[i % taskUuids.length]!;
          i += 1;
          const [cur] = await c<{ state: string }[]>`SELECT state FROM tasker.tasks WHERE task_uuid = ${task}::uuid`;
          const from = cur!.state;
          const to = from === "waiting_for_dependencies" ? "evaluating_results" : "waiting_for_dependencies";
          const t = performance.now();
          try {
            const [row] = await c<{ from: string | null }[]>`
              SELECT tasker.transition_task_state(${task}::uuid, ARRAY[${from}]::text[], ${to}::text, 'bench_cas'::text) AS from`;
            if (row?.from) wins += 1;
            else misses += 1;
          } catch (error) {
            // TK001 "cannot move": the UPDATE found another state, and by the re-read the
            // task was back in the expected one (A-B-A), so the function reports a
            // forbidden transition although the transition is allowed.
            if ((error as { code?: string }).code !== "TK001") throw error;
            abaErrors += 1;
          }
          latencies.push(performance.now() - t);
        }
      }),
    );
    const elapsed = performance.now() - started;
    return {
      connections,
      hotTasks: taskUuids.length,
      calls: latencies.length,
      wins,
      misses,
      abaErrors,
      callsPerSecond: (latencies.length / elapsed) * 1000,
      latency: distribution(latencies),
    };
  } finally {
    await Promise.all(clients.map((c) => c.end({ timeout: 5 })));
  }
}
