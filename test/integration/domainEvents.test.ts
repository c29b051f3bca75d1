/**
 * Domain events (`publishes_events`): published after the step's result is recorded, to the
 * namespace's durable queue with tasker-core's envelope; a payload its schema refuses is counted
 * and logged and the step is unaffected; readable through GET /v1/tasks/{uuid}/events.
 */
import { join } from "node:path";
import { findTaskEvents } from "../../src/orchestration/taskEventsQuery.ts";
import { useTestDatabase } from "../support/database.ts";
import { REPO_ROOT } from "../support/binary.ts";
import { startTestEngine, taskState, type TestEngine } from "../support/engine.ts";
import { waitFor } from "../support/waitFor.ts";
import { afterAll, beforeAll, describe, expect, test } from "../support/test.ts";

const db = useTestDatabase(import.meta.file);
let engine: TestEngine;

beforeAll(async () => {
  engine = await startTestEngine({ sql: db.sql, url: db.url, handlersDir: join(REPO_ROOT, "test", "fixtures", "handlers"), namespaces: ["events_cases"] });
});
afterAll(async () => {
  await engine?.stop();
});

const run = async (amount: number) => {
  const { taskUuid, correlationId } = await engine.orchestration.createTask({ namespace: "events_cases", name: "order_events", version: "1.0.0", context: { amount } });
  await waitFor(async () => ["complete", "blocked_by_failures"].includes((await taskState(db.sql, taskUuid)) ?? ""), { timeoutMs: 10_000, description: "the task to finish" });
  // Publishing happens after the result is recorded, in the background.
  const events = await waitFor(
    async () => {
      const found = await findTaskEvents(db.sql, taskUuid);
      return found && found.length >= (amount < 0 ? 1 : 2) ? found : undefined;
    },
    { timeoutMs: 5_000, description: "the events" },
  );
  return { taskUuid, correlationId, events };
};

describe("domain events", () => {
  test("a_success_publishes_its_events_with_tasker_cores_envelope_and_a_refused_payload_changes_nothing", async () => {
    const { taskUuid, correlationId, events } = await run(42);
    expect(await taskState(db.sql, taskUuid)).toBe("complete");
    const names = events.map((e) => e.envelope["event_name"]).sort();
    // notification.sent's payload lacks `recipient`: refused, not published; notification.local is fast: subscribers only.
    expect(names).toEqual(["notification.always", "payment.processed"]);
    const processed = events.find((e) => e.envelope["event_name"] === "payment.processed")!.envelope as {
      event_id: string; event_version: string; payload: { payload: unknown; execution_result: { success: boolean } };
      metadata: Record<string, unknown>;
    };
    expect(processed.event_version).toBe("1.0");
    expect(processed.event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(processed.payload.payload).toEqual({ amount: 42, charged: true });
    expect(processed.payload.execution_result.success).toBe(true);
    expect(processed.metadata).toMatchObject({ task_uuid: taskUuid, step_name: "charge", namespace: "events_cases", correlation_id: correlationId });
    expect(engine.logs.some((l) => l["msg"] === "domain event not published" && l["event_name"] === "notification.sent" && l["reason"] === "payload_invalid")).toBe(true);
    // The in-process subscriber saw the fast and the broadcast event; the broken one's error was only logged.
    const seen = await waitFor(
      () => {
        const lines = engine.logs.filter((l) => l["msg"] === "subscriber saw event" && l["task_uuid"] === taskUuid).map((l) => l["event_name"]);
        return lines.length >= 2 ? lines.sort() : undefined;
      },
      { timeoutMs: 2_000, description: "the subscriber's log lines" },
    );
    expect(seen).toEqual(["notification.always", "notification.local"]);
    expect(engine.logs.some((l) => l["reason"] === "subscriber_error" && l["error"] === "subscriber bug" && l["task_uuid"] === taskUuid)).toBe(true);
  });

  test("a_permanent_failure_publishes_its_failure_event", async () => {
    const { taskUuid, events } = await run(-1);
    expect(await taskState(db.sql, taskUuid)).toBe("blocked_by_failures");
    expect(events.map((e) => e.envelope["event_name"])).toEqual(["payment.failed"]);
    const payload = (events[0]!.envelope as { payload: { payload: { error: { error_type: string } } } }).payload.payload;
    expect(payload.error.error_type).toBe("invalid_amount");
  });
});
