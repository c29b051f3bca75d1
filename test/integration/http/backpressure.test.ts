/* eslint-disable @typescript-eslint/no-unsafe-member-access */
// Response bodies are read loosely; their shapes are pinned by the assertions.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { createBackpressureGate, type BackpressureSettings } from "../../../src/orchestration/backpressureGate.ts";
import { createQueueClient } from "../../../src/queue/queueClient.ts";
import { workerQueueName } from "../../../src/queue/queueNames.ts";
import { silentLogger } from "../../../src/telemetry/logger.ts";
import { loadNamespaces } from "../../../src/worker/loadNamespaces.ts";
import { registerTemplates } from "../../../src/worker/templateRegistrar.ts";
import { REPO_ROOT } from "../../support/binary.ts";
import { useTestDatabase } from "../../support/database.ts";
import { startTestEngine, type TestEngine } from "../../support/engine.ts";
import { afterAll, beforeAll, describe, expect, test } from "../../support/test.ts";
import { serveApp, type ServedApp } from "./serveApp.ts";

// Tasks of diamond_workflow are registered but no worker runs them, so their messages stay queued.
const NAMESPACE = "diamond_workflow";
const MAX_DEPTH = 5;

const db = useTestDatabase(import.meta.file);
let engine: TestEngine;
const apps: ServedApp[] = [];

beforeAll(async () => {
  engine = await startTestEngine({ sql: db.sql, url: db.url, namespaces: ["linear_workflow"] });
  const [diamond] = await loadNamespaces(`${REPO_ROOT}/handlers`, [NAMESPACE]);
  await registerTemplates(db.sql, diamond!.templates.map((t) => t.template));
  await createQueueClient(db.sql).create(workerQueueName(NAMESPACE));
});
afterAll(async () => {
  for (const app of apps) await app.stop();
  await engine?.stop();
});

function serveWithGate(settings: Partial<BackpressureSettings>): ServedApp {
  const gate = createBackpressureGate(
    createQueueClient(db.sql),
    { maxDepth: MAX_DEPTH, measureIntervalMs: 0, retryAfterSeconds: 7, ...settings },
    silentLogger,
  );
  const app = serveApp({ sql: db.sql, createTask: () => engine.orchestration.createTask, backpressure: () => gate });
  apps.push(app);
  return app;
}

let created = 0;
// Each task gets its own context, so the template's identity strategy never sees a duplicate.
const diamondTask = () => ({ namespace: NAMESPACE, name: "parallel_computation", version: "1.0.0", context: { even_number: 2 * ++created } });

async function createTask(app: ServedApp): Promise<{ status: number; retryAfter: string | null; json: Record<string, any> }> {
  const response = await fetch(`${app.url}/v1/tasks`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(diamondTask()),
  });
  return { status: response.status, retryAfter: response.headers.get("retry-after"), json: (await response.json()) as Record<string, any> };
}

async function depth(queue: string): Promise<number> {
  return (await createQueueClient(db.sql).metrics(queue)).queueLength;
}

/** Puts `count` inert messages on a queue (nobody consumes diamond_workflow's queue in this file). */
async function fill(queue: string, count: number): Promise<void> {
  await createQueueClient(db.sql).sendBatch(queue, Array.from({ length: count }, (_, i) => ({ filler: i })));
}

describe("backpressure on POST /v1/tasks", () => {
  test("answers_201_below_the_limit_and_503_with_retry_after_above_it", async () => {
    const app = serveWithGate({});
    const queue = workerQueueName(NAMESPACE);
    await createQueueClient(db.sql).purge(queue);

    const below = await createTask(app);
    expect(below.status).toBe(201);
    expect(below.retryAfter).toBeNull();
    expect(await depth(queue)).toBeLessThanOrEqual(MAX_DEPTH);

    await fill(queue, MAX_DEPTH + 1);
    const tasksBefore = await db.sql`SELECT count(*)::int AS n FROM tasker.tasks`;
    const above = await createTask(app);
    expect(above.status).toBe(503);
    expect(above.retryAfter).toBe("7");
    expect(above.json["error"]["code"]).toBe("BACKPRESSURE");
    expect(above.json["error"]["retry_after_seconds"]).toBe(7);
    expect(above.json["error"]["message"]).toContain(queue);
    // Refused before anything was written.
    const tasksAfter = await db.sql`SELECT count(*)::int AS n FROM tasker.tasks`;
    expect(tasksAfter[0]!["n"]).toBe(tasksBefore[0]!["n"]);

    await createQueueClient(db.sql).purge(queue);
    expect((await createTask(app)).status).toBe(201);
  });

  test("reuses_one_depth_measurement_within_the_interval", async () => {
    const app = serveWithGate({ measureIntervalMs: 60_000 });
    const queue = workerQueueName(NAMESPACE);
    await createQueueClient(db.sql).purge(queue);
    expect((await createTask(app)).status).toBe(201);
    await fill(queue, MAX_DEPTH + 1);
    // The queue is now too deep, but the gate still trusts its measurement of a moment ago.
    expect((await createTask(app)).status).toBe(201);
    await createQueueClient(db.sql).purge(queue);
  });

  test("a_limit_of_zero_turns_the_gate_off", async () => {
    const app = serveWithGate({ maxDepth: 0 });
    const queue = workerQueueName(NAMESPACE);
    await fill(queue, 50);
    expect((await createTask(app)).status).toBe(201);
    await createQueueClient(db.sql).purge(queue);
  });
});
