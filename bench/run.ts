/**
 * The benchmark suite (issue 6; the seed plan's phase 5). Measures only, asserts nothing
 * about time: it exits 0 when the harness worked.
 *
 *   npm run bench          # full: build, every section, repeated runs; writes
 *                          #   bench/results/<date>-<sha>.json and bench/README.md
 *   npm run bench:quick    # a smoke run in about a minute (small counts, one repeat);
 *                          #   writes bench/results/<date>-<sha>-quick.json only
 *   bun bench/run.ts [--quick] [--only sql,paths,...] [--repeats N] [--no-telemetry]
 *
 * Sections: sql (generator, SQL benchmarks, EXPLAIN), notify, paths (no-op step
 * critical paths), e2e (whole tasks, combined and separate), dynamic (a decision's and
 * a batch's cost), throughput (1 and 2
 * workers), pgbench, peer (graphile-worker), micro (mitata), startup, telemetry.
 * The telemetry section runs the whole tasks again with telemetry off and on (skipped with
 * a note when the binary has no telemetry switch, or with `--no-telemetry`).
 * Every database is created fresh on DATABASE_URL's server and dropped; every process
 * started is stopped.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadavg } from "node:os";
import { assertBinaryBuilt, REPO_ROOT } from "../test/support/binary.ts";
import { CONFIG_DEFAULTS } from "../src/config/configDefaults.ts";
import { benchDiscoveryScaling, type DiscoveryScalingResult } from "./discoveryScaling.ts";
import { benchDynamicCost, type DynamicCostResult } from "./dynamicCost.ts";
import { benchWholeTasks, shippedWorkflows, type RoleMemory, type WholeTaskResult } from "./engineLatency.ts";
import { runMicroBenchmarks, type MicroResult } from "./microBenchmarks.ts";
import { benchNoopPaths, benchNotify, type NoopPathResult } from "./pathLatency.ts";
import { benchGraphileWorker, type PeerResult } from "./peerGraphile.ts";
import { renderReport } from "./report.ts";
import { runSqlSuite, type SqlSuiteResult } from "./sqlSuite.ts";
import { benchStartup, type StartupResult } from "./startupTime.ts";
import { benchStatementProfile, type StatementProfileResult } from "./statementProfile.ts";
import { adminSql, dropStaleBenchDatabases } from "./support/benchDatabase.ts";
import { stopAllOnSignal } from "./support/taskerRoles.ts";
import { machineInfo, type MachineInfo } from "./support/machineInfo.ts";
import type { Distribution } from "./support/stats.ts";
import { startOtlpSink, telemetrySupport } from "./telemetryOverhead.ts";
import { benchPgbench, benchThroughput, type PgbenchResult, type ThroughputResult } from "./throughput.ts";

const SECTIONS = ["sql", "discovery", "notify", "paths", "e2e", "dynamic", "isolation", "throughput", "profile", "pgbench", "peer", "micro", "startup", "telemetry"] as const;
type Section = (typeof SECTIONS)[number];

interface Profile {
  repeats: number;
  sql: { sizes: number[]; iterations: number; discoveryTasks: number; casConnections: number[]; casDurationMs: number };
  discovery: { sizes: number[]; iterations: number };
  notify: number;
  paths: { count: number; warmup: number };
  e2e: { linear: number; diamond: number; dag: number; warmup: number };
  dynamic: { tasks: number; batches: number };
  throughputSteps: number;
  pgbench: { clients: number[]; seconds: number };
  peer: { jobs: number; latencySamples: number };
  startupRepeats: number;
}

const FULL: Profile = {
  repeats: 3,
  sql: { sizes: [100, 1_000, 10_000, 50_000], iterations: 300, discoveryTasks: 100, casConnections: [1, 4, 8], casDurationMs: 2_000 },
  discovery: { sizes: [5_000, 50_000, 500_000], iterations: 30 },
  notify: 500,
  paths: { count: 200, warmup: 10 },
  e2e: { linear: 100, diamond: 50, dag: 50, warmup: 5 },
  dynamic: { tasks: 100, batches: 100 },
  throughputSteps: 5_000,
  pgbench: { clients: [1, 4], seconds: 10 },
  peer: { jobs: 5_000, latencySamples: 200 },
  startupRepeats: 5,
};

const QUICK: Profile = {
  repeats: 1,
  sql: { sizes: [100, 1_000, 5_000], iterations: 40, discoveryTasks: 20, casConnections: [1, 4], casDurationMs: 500 },
  discovery: { sizes: [1_000, 5_000], iterations: 10 },
  notify: 100,
  paths: { count: 30, warmup: 3 },
  e2e: { linear: 10, diamond: 5, dag: 10, warmup: 2 },
  dynamic: { tasks: 10, batches: 100 },
  throughputSteps: 400,
  pgbench: { clients: [1, 4], seconds: 2 },
  peer: { jobs: 400, latencySamples: 30 },
  startupRepeats: 1,
};

export interface RunResults {
  kind: "full" | "quick";
  repeats: number;
  machine: MachineInfo;
  loadAverageAtEnd?: number[];
  /** Highest 1-minute load average seen (sampled every 5 s) during the run. */
  peakLoadAverage?: number;
  durationSeconds?: number;
  sql?: SqlSuiteResult;
  notify?: Distribution[];
  paths?: NoopPathResult[];
  /** The same with worker.claim_at_creation off: every root through the queue (notification, claim), as with separate worker processes. */
  pathsViaQueue?: NoopPathResult[];
  e2e?: { results: WholeTaskResult[][]; memory: RoleMemory[][] };
  /** Decisions and batch creation (one result per repeat). */
  dynamic?: DynamicCostResult[];
  /** Whole tasks with handlers in handler threads (the default) and inline (worker.handler_isolation = "none"). */
  isolation?: { thread: WholeTaskResult[][]; none: WholeTaskResult[][] };
  telemetry?: {
    supported: boolean;
    note?: string;
    on?: WholeTaskResult[][];
    off?: WholeTaskResult[][];
    /** What the OTLP sink received while telemetry was on. */
    exported?: Record<string, { requests: number; bytes: number }>;
  };
  throughput?: {
    oneWorker: ThroughputResult[];
    twoWorkers: ThroughputResult[];
    singleStepTasks?: ThroughputResult;
    /** The same with worker.handler_isolation = "none": handlers in the worker's event loop, as the peer runs its tasks. */
    singleStepTasksInline?: ThroughputResult;
  };
  /** pg_stat_statements over a one-step drain on a throwaway cluster. */
  profile?: StatementProfileResult;
  pgbench?: PgbenchResult[] | { skipped: string };
  peer?: { defaults: PeerResult[]; matched: PeerResult[] };
  micro?: MicroResult[];
  startup?: StartupResult[];
  discovery?: DiscoveryScalingResult;
  errors: Array<{ section: string; error: string }>;
}

function parseArgs(argv: string[]): { quick: boolean; only: Set<Section>; repeats?: number; telemetry: boolean } {
  const quick = argv.includes("--quick");
  const at = argv.indexOf("--only");
  const only = new Set<Section>(
    at >= 0 ? (argv[at + 1] ?? "").split(",").map((s) => {
      if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`--only: unknown section "${s}" (one of ${SECTIONS.join(", ")})`);
      return s as Section;
    }) : SECTIONS,
  );
  const r = argv.indexOf("--repeats");
  const repeats = r >= 0 ? Number(argv[r + 1]) : undefined;
  if (repeats !== undefined && (!Number.isInteger(repeats) || repeats < 1)) throw new Error("--repeats must be a positive integer");
  return { quick, only, ...(repeats ? { repeats } : {}), telemetry: !argv.includes("--no-telemetry") };
}

const log = (line: string): void => console.log(line);

/** CHECKPOINT on the bench's server (needs a superuser or pg_checkpoint; skipped otherwise). */
async function checkpoint(): Promise<void> {
  const admin = adminSql();
  try {
    await admin`CHECKPOINT`;
  } catch (error) {
    log(`note: CHECKPOINT refused (${error instanceof Error ? error.message : String(error)}); latency sections may see the data sections' write-back`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/**
 * The run the report compares with (its "before" column): the results file named in
 * bench/results/BASELINE, measured on the same machine, or none.
 */
function readBaseline(): { file: string; results: RunResults } | undefined {
  const pointer = join(REPO_ROOT, "bench", "results", "BASELINE");
  if (!existsSync(pointer)) return undefined;
  const file = readFileSync(pointer, "utf8").trim();
  return { file, results: JSON.parse(readFileSync(join(REPO_ROOT, file), "utf8")) as RunResults };
}

async function repeat<T>(times: number, label: string, body: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < times; i += 1) {
    if (times > 1) log(` ${label}: run ${i + 1} of ${times}`);
    out.push(await body());
  }
  return out;
}

/** `--render <results.json>`: writes this README from a results file of a full run, measuring nothing. */
function renderOnly(file: string): number {
  const results = JSON.parse(readFileSync(file, "utf8")) as RunResults;
  const readme = join(REPO_ROOT, "bench", "README.md");
  const relative = file.startsWith(REPO_ROOT) ? file.slice(REPO_ROOT.length + 1) : file;
  writeFileSync(readme, renderReport(results, relative, readBaseline()));
  log(`summary: ${readme} (from ${relative})`);
  return 0;
}

async function main(): Promise<number> {
  const render = process.argv.indexOf("--render");
  if (render >= 0) return renderOnly(join(process.cwd(), process.argv[render + 1] ?? ""));
  const args = parseArgs(process.argv.slice(2));
  const profile = args.quick ? QUICK : FULL;
  const repeats = args.repeats ?? profile.repeats;
  assertBinaryBuilt();
  stopAllOnSignal();
  await dropStaleBenchDatabases();
  const started = performance.now();
  const results: RunResults = { kind: args.quick ? "quick" : "full", repeats, machine: await machineInfo(), errors: [] };
  const m = results.machine;
  log(`tasker bench (${results.kind}, ${repeats} repeat(s)) at ${m.gitSha}${m.gitDirty ? "-dirty" : ""}: ${m.cores} cores, load ${m.loadAverageAtStart.join(" ")}, ${m.postgres.version.split(",")[0]}`);
  if (m.loadAverageAtStart[0]! > m.cores * 0.5) log(`note: the machine is busy (load ${m.loadAverageAtStart[0]} on ${m.cores} cores): figures will be noisy`);

  let peakLoad = loadavg()[0]!;
  const loadTimer = setInterval(() => {
    peakLoad = Math.max(peakLoad, loadavg()[0]!);
  }, 5_000);
  loadTimer.unref();

  const section = async (name: Section, body: () => Promise<void>): Promise<void> => {
    if (!args.only.has(name)) return;
    log(`\n== ${name}`);
    const t = performance.now();
    try {
      await body();
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      results.errors.push({ section: name, error: message });
      log(`  FAILED: ${message}`);
    }
    log(`  (${((performance.now() - t) / 1000).toFixed(1)} s)`);
  };

  await section("sql", async () => {
    results.sql = await runSqlSuite({ ...profile.sql, log });
  });
  await section("discovery", async () => {
    results.discovery = await benchDiscoveryScaling({ ...profile.discovery, log });
  });
  // The data sections write gigabytes of WAL and dirty pages; their write-back would otherwise
  // land in the latency sections that follow (a checkpoint in progress slows every commit).
  if (args.only.has("sql") || args.only.has("discovery")) await checkpoint();
  await section("notify", async () => {
    results.notify = await repeat(repeats, "notify", () => benchNotify(profile.notify, log));
  });
  await section("paths", async () => {
    results.paths = await repeat(repeats, "paths", () => benchNoopPaths({ ...profile.paths, pollMs: 1, log }));
    log(" paths through the queue (worker.claim_at_creation off)");
    results.pathsViaQueue = await repeat(repeats, "paths via the queue", () =>
      benchNoopPaths({ ...profile.paths, pollMs: 1, env: { TASKER_WORKER__CLAIM_AT_CREATION: "false" }, log }));
  });
  const wholeTasks = (env?: Record<string, string>) =>
    benchWholeTasks({
      topologies: ["combined", "separate"],
      workflows: shippedWorkflows(profile.e2e),
      warmup: profile.e2e.warmup,
      pollMs: 1,
      ...(env ? { env } : {}),
      log,
    });
  await section("e2e", async () => {
    const runs = await repeat(repeats, "e2e", () => wholeTasks());
    results.e2e = { results: runs.map((r) => r.results), memory: runs.map((r) => r.memory) };
  });
  await section("dynamic", async () => {
    results.dynamic = await repeat(repeats, "dynamic", () => benchDynamicCost({ ...profile.dynamic, log }));
  });
  await section("isolation", async () => {
    const thread: WholeTaskResult[][] = [];
    const none: WholeTaskResult[][] = [];
    // Alternating order, as for telemetry: a load drift hits both sides alike.
    for (let i = 0; i < repeats; i += 1) {
      for (const mode of i % 2 === 0 ? (["none", "thread"] as const) : (["thread", "none"] as const)) {
        log(`  handler_isolation = ${mode}:`);
        (mode === "none" ? none : thread).push((await wholeTasks({ TASKER_WORKER__HANDLER_ISOLATION: mode })).results);
      }
    }
    results.isolation = { thread, none };
  });
  await section("throughput", async () => {
    const oneWorker: ThroughputResult[] = [];
    const twoWorkers: ThroughputResult[] = [];
    // The first run of each also records where the time goes (functions, waits); that costs
    // CPU, so the one-step figure compared with the peer comes from runs without it.
    for (let i = 0; i < repeats; i += 1) {
      oneWorker.push(await benchThroughput({ workers: 1, steps: profile.throughputSteps, diagnose: i === 0, log }));
      twoWorkers.push(await benchThroughput({ workers: 2, steps: profile.throughputSteps, diagnose: i === 0, log }));
    }
    // The same steps as one-step tasks (the peer's shape: one job, one step); the run with the
    // median rate is kept.
    // Alternating with handlers run inline (handler_isolation = none), which is what the thread
    // hop costs.
    const singles: ThroughputResult[] = [];
    const inline: ThroughputResult[] = [];
    for (let i = 0; i < repeats; i += 1) {
      singles.push(await benchThroughput({ workers: 1, steps: profile.throughputSteps, template: "noop_single", log }));
      inline.push(await benchThroughput({ workers: 1, steps: profile.throughputSteps, template: "noop_single", env: { TASKER_WORKER__HANDLER_ISOLATION: "none" }, log }));
    }
    const medianRun = (runs: ThroughputResult[]): ThroughputResult =>
      [...runs].sort((a, b) => a.stepsPerSecond - b.stepsPerSecond)[Math.floor((runs.length - 1) / 2)]!;
    results.throughput = { oneWorker, twoWorkers, singleStepTasks: medianRun(singles), singleStepTasksInline: medianRun(inline) };
  });
  await section("profile", async () => {
    results.profile = await benchStatementProfile({ steps: profile.throughputSteps, log });
  });
  await section("pgbench", async () => {
    results.pgbench = await benchPgbench({ ...profile.pgbench, log });
  });
  await section("peer", async () => {
    const jobs = profile.throughputSteps; // the same number of no-op units as our throughput run
    const defaults: PeerResult[] = [];
    const matched: PeerResult[] = [];
    for (let i = 0; i < repeats; i += 1) {
      defaults.push(await benchGraphileWorker({ jobs, latencySamples: profile.peer.latencySamples, log }));
      matched.push(await benchGraphileWorker({ jobs, latencySamples: profile.peer.latencySamples, concurrency: CONFIG_DEFAULTS.worker.max_concurrent_steps, log }));
    }
    results.peer = { defaults, matched };
  });
  await section("micro", async () => {
    results.micro = await runMicroBenchmarks({ quick: args.quick, log });
  });
  await section("startup", async () => {
    results.startup = await benchStartup({ repeats: profile.startupRepeats, log });
  });
  await section("telemetry", async () => {
    if (!args.telemetry) {
      results.telemetry = { supported: false, note: "skipped (--no-telemetry)" };
      log(`  ${results.telemetry.note}`);
      return;
    }
    const support = await telemetrySupport();
    if (!support.supported) {
      results.telemetry = { supported: false, note: support.note };
      log(`  ${support.note}`);
      return;
    }
    const off: WholeTaskResult[][] = [];
    const on: WholeTaskResult[][] = [];
    const sink = await startOtlpSink();
    try {
      // Off/on, then on/off, ...: a load drift on the shared machine hits both sides alike.
      for (let i = 0; i < repeats; i += 1) {
        for (const enabled of i % 2 === 0 ? [false, true] : [true, false]) {
          log(enabled ? "  telemetry on (OTLP to an in-process sink):" : "  telemetry off:");
          (enabled ? on : off).push((await wholeTasks(enabled ? sink.env : undefined)).results);
        }
      }
      const exported = sink.received();
      log(`  OTLP received: ${Object.entries(exported).map(([k, v]) => `${k} ${v.requests} requests, ${v.bytes} bytes`).join("; ") || "nothing"}`);
      results.telemetry = { supported: true, on, off, exported };
    } finally {
      await sink.stop();
    }
  });

  clearInterval(loadTimer);
  results.loadAverageAtEnd = loadavg().map((l) => Math.round(l * 100) / 100);
  results.peakLoadAverage = Math.round(peakLoad * 100) / 100;
  results.durationSeconds = Math.round((performance.now() - started) / 100) / 10;
  const stamp = m.date.slice(0, 10);
  const dir = join(REPO_ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${stamp}-${m.gitSha}${args.quick ? "-quick" : ""}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`\nresults: ${file}`);
  if (!args.quick && args.only.size === SECTIONS.length) {
    const readme = join(REPO_ROOT, "bench", "README.md");
    writeFileSync(readme, renderReport(results, file.slice(REPO_ROOT.length + 1), readBaseline()));
    log(`summary: ${readme}`);
  }
  log(`done in ${results.durationSeconds} s; ${results.errors.length} section(s) failed`);
  return results.errors.length === 0 ? 0 : 1;
}

process.exitCode = await main();
