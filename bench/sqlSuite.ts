/**
 * The SQL part of the suite on one generated database: grows it through the sizes
 * (100 / 1,000 / 10,000 / 50,000 tasks in the full run), benchmarks each size, then
 * EXPLAINs every hot query at the largest size.
 */
import postgres from "postgres";
import { explainNested, explainQuery, type ExplainEntry } from "./explainReport.ts";
import { DEFAULT_GENERATOR_CONFIG, GENERATOR_PROCESS_UUID, generateTasks, prepareCatalog, SHAPES, type BatchStats, type Shape } from "./generateDataset.ts";
import { benchCasContention, benchDiscoveryToEnqueue, benchReadyTasks, benchStepReadiness, READY_TASK_BATCH, sampleTasks, type CasResult } from "./sqlBenchmarks.ts";
import { withBenchDatabase } from "./support/benchDatabase.ts";
import type { Distribution } from "./support/stats.ts";

export interface SqlSuiteOptions {
  sizes: number[];
  iterations: number;
  discoveryTasks: number;
  casConnections: number[];
  casDurationMs: number;
  log: (line: string) => void;
}

export interface SizeResult {
  tasks: number;
  steps: number;
  generation: BatchStats;
  readyTasks: Distribution & { rows: number };
  stepReadiness: Partial<Record<Shape, Distribution | null>>;
}

export interface SqlSuiteResult {
  generatorConfig: typeof DEFAULT_GENERATOR_CONFIG;
  sizes: SizeResult[];
  discoveryToEnqueue: Awaited<ReturnType<typeof benchDiscoveryToEnqueue>> & { atTasks: number; stepsPerTask: number };
  cas: CasResult[];
  explain: { atTasks: number; entries: ExplainEntry[] };
}

const FANOUT_ONLY = {
  ...DEFAULT_GENERATOR_CONFIG,
  avgStepsPerTask: 10,
  stepCountVariance: 0,
  complexity: { linear: 0, diamond: 0, tree: 0, mixed: 0, fanout: 1 },
  fates: { complete: 0, in_progress: 0, waiting_for_retry: 0, error: 0, pending: 1 },
};

export async function runSqlSuite(options: SqlSuiteOptions): Promise<SqlSuiteResult> {
  const { log } = options;
  return withBenchDatabase("sql", { migrate: true }, async ({ url }) => {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await prepareCatalog(sql);
      // The engine creates a namespace's queue with its first task; create them up front so
      // no measurement includes that DDL.
      await sql`SELECT pgmq."create"('worker_' || name || '_queue') FROM tasker.task_namespaces WHERE name LIKE 'bench_ns_%'`;
      const sizes: SizeResult[] = [];
      let have = 0;
      for (const [i, size] of options.sizes.entries()) {
        const generation = await generateTasks(sql, size - have, i + 1);
        have = size;
        const [{ steps } = { steps: 0 }] = await sql<{ steps: number }[]>`SELECT count(*)::int AS steps FROM tasker.workflow_steps`;
        log(`  generated ${generation.tasks} tasks (${generation.steps} steps, ${generation.transitions} transitions) in ${(generation.ms / 1000).toFixed(1)} s; now ${size} tasks, ${steps} steps`);
        const readyTasks = await benchReadyTasks(sql, options.iterations);
        const stepReadiness: SizeResult["stepReadiness"] = {};
        for (const shape of SHAPES.filter((s) => s !== "fanout")) stepReadiness[shape] = await benchStepReadiness(sql, shape, options.iterations);
        log(`  ${size} tasks: next_ready_tasks(${READY_TASK_BATCH}) p50 ${readyTasks.p50.toFixed(2)} ms (${readyTasks.rows} rows); task_execution_context p50 ` +
          SHAPES.filter((s) => s !== "fanout").map((s) => `${s} ${stepReadiness[s]?.p50.toFixed(2) ?? "-"}`).join(", ") + " ms");
        sizes.push({ tasks: size, steps, generation, readyTasks, stepReadiness });
      }
      const largest = options.sizes[options.sizes.length - 1]!;

      // EXPLAIN at the largest size, before the discovery and CAS runs change states.
      // One pending 10-step fan-out task (for evaluate_task / create_task) is added first.
      await generateTasks(sql, options.discoveryTasks + 1, 99, FANOUT_ONLY);
      const fanout = await sampleTasks(sql, "fanout", "pending", options.discoveryTasks + 1);
      const explainTask = fanout.pop()!;
      const entries = await explainHotQueries(sql, url, explainTask);
      for (const e of entries) log(`  explain ${e.name}: ${e.error ?? `${(e.plan?.executionMs ?? 0).toFixed(2)} ms`}`);

      const discovery = await benchDiscoveryToEnqueue(sql, fanout);
      log(`  discovery to enqueue (10-step task, evaluate_task incl. commit): p50 ${discovery.client.p50.toFixed(2)} ms, p99 ${discovery.client.p99.toFixed(2)} ms`);

      const hot = await sampleTasks(sql, "linear", "steps_in_process", 4);
      const cas: CasResult[] = [];
      for (const connections of options.casConnections) {
        for (const tasks of [hot.slice(0, 1), hot]) {
          const r = await benchCasContention(url, tasks, connections, options.casDurationMs);
          cas.push(r);
          log(`  CAS ${connections} conn on ${tasks.length} task(s): ${r.callsPerSecond.toFixed(0)} calls/s, p50 ${r.latency.p50.toFixed(2)} ms, p99 ${r.latency.p99.toFixed(2)} ms, ${r.misses} lost races, ${r.abaErrors} spurious TK001`);
        }
      }
      return {
        generatorConfig: DEFAULT_GENERATOR_CONFIG,
        sizes,
        discoveryToEnqueue: { ...discovery, atTasks: largest, stepsPerTask: 10 },
        cas,
        explain: { atTasks: largest, entries },
      };
    } finally {
      await sql.end({ timeout: 5 });
    }
  });
}

async function explainHotQueries(sql: postgres.Sql, url: string, pendingFanoutTask: string): Promise<ExplainEntry[]> {
  const entries: ExplainEntry[] = [];
  const q = (s: string): string => s.replace(/'/g, "''");
  entries.push(await explainQuery(sql, "next_ready_tasks", `SELECT * FROM tasker.next_ready_tasks(${READY_TASK_BATCH})`));
  for (const shape of ["linear", "mixed"] as const) {
    const [task] = await sampleTasks(sql, shape, "steps_in_process", 1);
    if (task) entries.push(await explainQuery(sql, `task_execution_context (${shape})`, `SELECT * FROM tasker.task_execution_context('${q(task)}'::uuid)`));
  }
  const proc = GENERATOR_PROCESS_UUID;
  const [template] = await sql<{ named_task_uuid: string }[]>`
    SELECT named_task_uuid FROM tasker.named_tasks WHERE name = 'fanout' ORDER BY named_task_uuid LIMIT 1`;
  const request = JSON.stringify({
    task_uuid: "01900000-0000-7000-8000-0000000000a1", named_task_uuid: template!.named_task_uuid,
    identity_hash: "bench-explain", correlation_id: "01900000-0000-7000-8000-0000000000c1", context: {},
  });
  // A running step whose task is in steps_in_process: claim -> submit -> process in one rolled-back transaction.
  const [enq] = await sql<{ step: string; task: string }[]>`
    SELECT s.workflow_step_uuid AS step, s.task_uuid AS task FROM tasker.workflow_steps s JOIN tasker.tasks t USING (task_uuid)
     WHERE s.state = 'enqueued' AND t.state = 'steps_in_process' ORDER BY s.workflow_step_uuid LIMIT 1`;
  const worker = "01900000-0000-7000-8000-0000000000d1";
  const [blocked] = await sql<{ task: string }[]>`
    SELECT task_uuid AS task FROM tasker.tasks WHERE state = 'waiting_for_dependencies' ORDER BY task_uuid LIMIT 1`;
  const steps = [
    { name: "create_task (10 steps, incl. evaluate_task)", query: `SELECT tasker.create_task('${q(request)}'::jsonb, '${proc}'::uuid)` },
    { name: "evaluate_task (discovery + enqueue of 10 steps)", query: `SELECT tasker.evaluate_task('${pendingFanoutTask}'::uuid, '${proc}'::uuid)` },
    { name: "pgmq.read (worker queue)", query: `SELECT * FROM pgmq.read('worker_bench_ns_0_queue', 30, 20)` },
    ...(enq
      ? [
          { name: "claim_step", query: `SELECT tasker.claim_step('${enq.step}'::uuid, '${worker}'::uuid, 'worker_bench_ns_0_queue', NULL, 60, 5)` },
          {
            name: "submit_step_result",
            query: `SELECT tasker.submit_step_result('${enq.step}'::uuid, '${worker}'::uuid, 1,
                    '{"success":true,"status":"completed","result":{"ok":true},"metadata":{},"error":null}'::jsonb, 1)`,
          },
          { name: "process_step_result (incl. evaluate_task)", query: `SELECT tasker.process_step_result('${enq.step}'::uuid, '${proc}'::uuid)` },
        ]
      : []),
    ...(blocked
      ? [{ name: "transition_task_state (CAS)", query: `SELECT tasker.transition_task_state('${blocked.task}'::uuid, ARRAY['waiting_for_dependencies'], 'evaluating_results', 'bench')` }]
      : []),
    { name: "reap_step_claims", query: `SELECT tasker.reap_step_claims('${proc}'::uuid, 30, 10)` },
    { name: "reconcile_step_results", query: `SELECT tasker.reconcile_step_results('${proc}'::uuid, 30, 30, 100)` },
  ];
  entries.push(...(await explainNested(url, steps)));
  return entries;
}
