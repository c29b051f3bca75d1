/**
 * The embedded PostgreSQL through the binary, on a cluster no other test uses: a role started
 * with database.mode embedded creates it, runs the README example on it, survives a kill -9 of
 * tasker with its data (the server outlives tasker and is reused), and `tasker db` reports, stops
 * and deletes it.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTasker, spawnTasker, type TaskerProcess } from "../support/binary.ts";
import { freePort } from "../support/ports.ts";
import { afterAll, describe, expect, test } from "../support/test.ts";
import { waitFor } from "../support/waitFor.ts";

const dir = mkdtempSync(join(tmpdir(), "tasker-e2e-embedded-"));
chmodSync(dir, 0o755); // as root the server runs as postgres, which must reach the data directory
const dataDir = join(dir, "pgdata");
let pgPort = 0;
let tasker: TaskerProcess | undefined;

const env = () => ({
  TASKER_DATABASE__EMBEDDED__DATA_DIR: dataDir,
  TASKER_DATABASE__EMBEDDED__PORT: String(pgPort),
  TASKER_TELEMETRY__LOG_FORMAT: "json",
  TASKER_TELEMETRY__LOG_LEVEL: "info",
});

async function startCombined(): Promise<{ process: TaskerProcess; url: string }> {
  const port = await freePort();
  const child = spawnTasker(["--role", "combined", "--migrate", "--database-mode", "embedded", "--port", String(port)], { env: env() });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/health/ready`).catch(() => null))?.status === 200, {
    timeoutMs: 60_000,
    description: () => `tasker on the embedded server to be ready; its stderr:\n${child.stderr().slice(-3000)}`,
  });
  return { process: child, url };
}

afterAll(async () => {
  tasker?.kill("SIGKILL");
  await runTasker(["db", "stop"], { env: env() }).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

describe("the embedded PostgreSQL", () => {
  test("runs_the_readme_example_keeps_its_data_through_a_kill_9_and_is_managed_by_tasker_db", async () => {
    pgPort = await freePort();
    const first = await startCombined();
    tasker = first.process;
    const line = `${first.process.stdout()}${first.process.stderr()}`.split("\n").find((l) => l.includes("using the embedded PostgreSQL"));
    expect(line).toContain(`postgres://postgres@127.0.0.1:${pgPort}/tasker`);
    expect(line).toContain("DATABASE_URL");

    const created = (await (
      await fetch(`${first.url}/v1/tasks`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ namespace: "linear_workflow", name: "mathematical_sequence", version: "1.0.0", context: { even_number: 6 } }),
      })
    ).json()) as { task_uuid: string };
    type Task = { status: string; steps: Array<{ name: string; results: { result: unknown } | null }> };
    const done = await waitFor(
      async () => {
        const task = (await (await fetch(`${first.url}/v1/tasks/${created.task_uuid}`)).json()) as Task;
        return task.status === "complete" ? task : undefined;
      },
      { timeoutMs: 30_000, description: "the README example to complete" },
    );
    expect(done.steps.find((s) => s.name === "linear_step_4")?.results?.result).toEqual({ value: 69 });

    // kill -9: the server stays up, and the next start reuses it and its data.
    first.process.kill("SIGKILL");
    await first.process.exited;
    expect((await runTasker(["db", "status"], { env: env() })).stdout).toContain(`running on 127.0.0.1:${pgPort}`);
    const second = await startCombined();
    tasker = second.process;
    expect(`${second.process.stdout()}${second.process.stderr()}`).toContain('"embedded_started":false');
    const listed = (await (await fetch(`${second.url}/v1/tasks`)).json()) as { tasks: Array<{ task_uuid: string }> };
    expect(listed.tasks.map((t) => t.task_uuid)).toContain(created.task_uuid);
    second.process.kill("SIGTERM");
    await second.process.exited;

    expect((await runTasker(["db", "stop"], { env: env() })).stdout).toContain("embedded PostgreSQL stopped");
    expect((await runTasker(["db", "status"], { env: env() })).stdout).toContain("stopped");
    const refused = await runTasker(["db", "reset"], { env: env() });
    expect(refused.code).toBe(2);
    expect(existsSync(join(dataDir, "PG_VERSION"))).toBe(true);
    expect((await runTasker(["db", "reset", "--yes"], { env: env() })).code).toBe(0);
    expect(existsSync(dataDir)).toBe(false);
  });
});
