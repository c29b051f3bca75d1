import { resolve } from "node:path";
import { CONFIG_DEFAULTS } from "../config/configDefaults.ts";
import { ensureEmbeddedServer } from "../db/embedded/embeddedServer.ts";
import { acceptsConnections } from "../db/embedded/resolveDatabase.ts";
import { findEmbeddedBinaries } from "../db/embedded/serverBinaries.ts";
import postgres, { type Sql } from "postgres";
import { migrate } from "../db/migrator.ts";
import { TaskerError } from "../lib/errors.ts";
import { findTask, type TaskResponse } from "../orchestration/taskQueries.ts";
import { silentLogger } from "../telemetry/logger.ts";
import { startInProcessEngine, type InProcessEngine } from "./inProcessEngine.ts";

const DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const FINISHED = new Set(["complete", "error", "cancelled", "resolved_manually", "blocked_by_failures"]);
let made = 0;

export interface WorkflowTestOptions {
  /** The handlers directory (one folder per namespace), as given to `--handlers`. */
  handlersDir: string;
  /** Only these namespaces (default: every folder). */
  namespaces?: string[];
  /** A server the test may create a database on (default DATABASE_URL, else postgres@127.0.0.1:5432 when it answers, else the embedded PostgreSQL). */
  databaseUrl?: string;
  /** `"none"` runs handlers in the test's own event loop (default, fastest); `"thread"` as in production. */
  isolation?: "none" | "thread";
}

export interface TaskRequest {
  namespace: string;
  name: string;
  version?: string;
  context?: Record<string, unknown>;
}

export interface WorkflowTest {
  /** Creates a task and waits until it finishes (complete, error, cancelled or blocked); its steps and results. */
  run(request: TaskRequest, options?: { timeoutMs?: number }): Promise<TaskResponse>;
  /** The engine itself, for what `run` does not cover (its logs, its orchestration). */
  engine: InProcessEngine;
  /** A connection to the test's database. */
  sql: Sql;
  /** Stops the engine and drops the test's database. */
  stop(): Promise<void>;
}

/**
 * postgres@127.0.0.1:5432 when it answers, else the embedded PostgreSQL (`./.tasker/pgdata`,
 * started or reused as `npm start` does), so workflow tests run on a machine without a server.
 */
async function defaultServer(): Promise<string> {
  if (await acceptsConnections(DEFAULT_URL)) return DEFAULT_URL;
  const defaults = CONFIG_DEFAULTS.database.embedded;
  const server = await ensureEmbeddedServer(
    { binDir: findEmbeddedBinaries(defaults.bin_dir), dataDir: resolve(defaults.data_dir), port: defaults.port },
    "postgres",
  );
  return server.url;
}

/**
 * Runs a handlers directory's workflows in this process against a database of its own (created
 * on the server, migrated, dropped by `stop()`): what a handler author's `bun test` needs to run
 * a whole workflow in seconds.
 */
export async function startWorkflowTest(options: WorkflowTestOptions): Promise<WorkflowTest> {
  const serverUrl = new URL(options.databaseUrl ?? process.env["DATABASE_URL"] ?? (await defaultServer()));
  made += 1;
  const name = `tasker_workflow_test_${process.pid}_${made}`;
  const admin = postgres(serverUrl.href, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl.href);
  url.pathname = `/${name}`;
  const sql = postgres(url.href, { max: 10, onnotice: () => {} });
  let engine: InProcessEngine;
  try {
    await migrate(sql, { logger: silentLogger });
    engine = await startInProcessEngine({
      sql,
      url: url.href,
      handlersDir: options.handlersDir,
      ...(options.namespaces ? { namespaces: options.namespaces } : {}),
      isolation: options.isolation ?? "none",
    });
  } catch (error) {
    await sql.end({ timeout: 1 });
    await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
    await admin.end({ timeout: 1 });
    throw error;
  }
  return {
    engine,
    sql,
    async run(request, runOptions = {}) {
      const created = await engine.orchestration.createTask({ version: "1.0.0", ...request });
      const deadline = Date.now() + (runOptions.timeoutMs ?? 10_000);
      for (;;) {
        const task = await findTask(sql, created.taskUuid);
        if (task && FINISHED.has(task.status)) return task;
        if (Date.now() > deadline) {
          throw new TaskerError("TIMEOUT", `task ${created.taskUuid} did not finish within ${runOptions.timeoutMs ?? 10_000} ms (it is ${task?.status ?? "gone"})`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async stop() {
      try {
        await engine.stop();
      } finally {
        await sql.end({ timeout: 1 });
        await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
        await admin.end({ timeout: 1 });
      }
    },
  };
}
