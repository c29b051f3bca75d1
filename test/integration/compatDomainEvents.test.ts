/**
 * tasker-core's custom publishers and subscribers (`BasePublisher`, `BaseSubscriber`, their
 * registries) in a handlers folder: a declaration's `publisher` shapes the payload and metadata,
 * declines, or (unregistered) leaves the step's result; subscribers get tasker-core's camelCase
 * event; a throwing publisher or subscriber is counted and logged and the step is unaffected.
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
  engine = await startTestEngine({ sql: db.sql, url: db.url, handlersDir: join(REPO_ROOT, "test", "fixtures", "handlers"), namespaces: ["compat_events"] });
});
afterAll(async () => {
  await engine?.stop();
});

type Envelope = { event_name: string; payload: { payload: Record<string, unknown> }; metadata: Record<string, unknown> };

const run = async (context: Record<string, unknown>, expectedEvents: number, state = "complete") => {
  const { taskUuid } = await engine.orchestration.createTask({ namespace: "compat_events", name: "refund_events", version: "1.0.0", context });
  await waitFor(async () => (await taskState(db.sql, taskUuid)) === state, { timeoutMs: 10_000, description: `the task to be ${state}` });
  const events = await waitFor(
    async () => {
      const found = await findTaskEvents(db.sql, taskUuid);
      return found && found.length >= expectedEvents ? found.map((e) => e.envelope as Envelope) : undefined;
    },
    { timeoutMs: 5_000, description: `${expectedEvents} events` },
  );
  await Bun.sleep(100); // in-process subscribers run after publishing
  const byName = new Map(events.map((e) => [e.event_name, e]));
  return { taskUuid, events, byName, logs: engine.logs.filter((l) => l["taskUuid"] === taskUuid || l["task_uuid"] === taskUuid) };
};

describe("tasker-core custom publishers and subscribers", () => {
  test("a_publisher_shapes_payload_and_metadata_and_subscribers_get_the_camel_case_event", async () => {
    const { taskUuid, byName, logs } = await run({ amount: 150, transaction_id: "tx_9" }, 3);
    expect([...byName.keys()].sort()).toEqual(["refund.audited", "refund.issued", "refund.unshaped"]);
    const issued = byName.get("refund.issued")!;
    expect(issued.payload.payload).toEqual({ refundId: `rf_${taskUuid.slice(0, 8)}`, originalTransactionId: "tx_9", amount: 150, currency: "EUR", status: "completed" });
    expect(issued.metadata).toMatchObject({ publisher: "RefundEventPublisher", refundType: "full", workflowNamespace: "compat_events", task_uuid: taskUuid, step_name: "issue_refund" });
    expect(byName.get("refund.audited")!.metadata).toMatchObject({ publisher: "AuditPublisher", auditor: "compliance" });
    // An unregistered publisher: the event carries the step's result.
    expect(byName.get("refund.unshaped")!.payload.payload).toMatchObject({ refund_id: `rf_${taskUuid.slice(0, 8)}`, amount: 150 });
    expect(engine.logs.some((l) => l["msg"] === "domain event publisher not registered: its events carry the step's result" && String(l["declaration"]).includes("NoSuchPublisher"))).toBe(true);

    const saw = logs.filter((l) => l["msg"] === "refund subscriber saw event");
    expect(saw.map((l) => [l["eventName"], l["refundId"], l["publisher"], l["success"]])).toEqual([["refund.issued", `rf_${taskUuid.slice(0, 8)}`, "RefundEventPublisher", true]]);
    expect(logs.some((l) => l["msg"] === "audit trail saw event" && l["eventName"] === "refund.issued")).toBe(true);
    expect(engine.logs.some((l) => l["msg"] === "refund event published" && l["refundId"] === `rf_${taskUuid.slice(0, 8)}`)).toBe(true);
    // The failing subscriber went through its onHandleError and was counted; the task did not notice.
    expect(engine.logs.some((l) => l["reason"] === "subscriber_error" && l["error"] === "subscriber bug" && l["task_uuid"] === taskUuid)).toBe(true);
  });

  test("a_publisher_that_declines_or_throws_publishes_nothing_and_the_step_completes", async () => {
    const small = await run({ amount: 20 }, 2);
    expect([...small.byName.keys()].sort()).toEqual(["refund.issued", "refund.unshaped"]);

    const broken = await run({ amount: 500, break_publisher: true }, 2);
    expect([...broken.byName.keys()].sort()).toEqual(["refund.audited", "refund.unshaped"]);
    expect(
      engine.logs.some(
        (l) => l["msg"] === "domain event not published" && l["reason"] === "publisher_error" && l["task_uuid"] === broken.taskUuid && String(l["error"]).includes("publisher bug"),
      ),
    ).toBe(true);
    expect(engine.logs.some((l) => l["msg"] === "refund event failed" && l["error"] === "publisher bug")).toBe(true);
  });

  test("a_failure_event_goes_through_the_publisher_with_the_error", async () => {
    const { byName, logs } = await run({ amount: -5 }, 1, "blocked_by_failures");
    const rejected = byName.get("refund.rejected")!;
    expect(rejected.payload.payload).toMatchObject({ status: "failed" });
    expect(rejected.metadata).toMatchObject({ publisher: "RefundEventPublisher", refundSucceeded: false });
    expect(logs.filter((l) => l["msg"] === "refund subscriber saw event").map((l) => [l["eventName"], l["success"]])).toEqual([["refund.rejected", false]]);
  });
});
