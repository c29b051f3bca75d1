/**
 * Poison and hostile messages written straight into the queues (jsonb cannot
 * hold invalid JSON, so: wrong shapes, invalid or unknown uuids, ~1 MB bodies,
 * deep nesting), some with a NOTIFY (the inline path), some without (the
 * poller's path), plus malformed notifications: every message is archived with
 * a logged reason, no loop crashes, and valid tasks sent alongside complete.
 */
import { randomUUID } from "node:crypto";
import { useTestDatabase } from "../support/database.ts";
import { waitFor } from "../support/waitFor.ts";
import { expect, test } from "../support/test.ts";
import { killAll, waitForTasks, type RoleProcess } from "../e2e/engineHarness.ts";
import { createMany, FAULT_TEST_TIMEOUT_MS, mixedTask, report, size, startMixedRole } from "./faultHarness.ts";

const db = useTestDatabase(import.meta.file);

const WORKER_QUEUE = "worker_fault_mixed_queue";
const RESULTS_QUEUE = "orchestration_step_results";
const REQUESTS_QUEUE = "orchestration_task_requests";
const MB = 1024 * 1024;

const deep = (levels: number): unknown => {
  let value: unknown = "bottom";
  for (let i = 0; i < levels; i += 1) value = { down: value };
  return value;
};

/** Bodies that are not step messages, or name steps that do not exist. */
function poisonStepMessages(): Array<{ label: string; body: unknown }> {
  const ids = () => ({ task_uuid: randomUUID(), step_uuid: randomUUID(), correlation_id: randomUUID() });
  return [
    { label: "string", body: "just a string" },
    { label: "number", body: 42 },
    { label: "array", body: [1, 2, 3] },
    { label: "null", body: null },
    { label: "empty object", body: {} },
    { label: "invalid uuids", body: { task_uuid: "not-a-uuid", step_uuid: "'; DROP TABLE tasker.tasks; --", correlation_id: 7 } },
    { label: "uuid of the wrong type", body: { ...ids(), step_uuid: 12345 } },
    { label: "unknown step", body: ids() },
    { label: "unknown step, 1 MB", body: { ...ids(), padding: "x".repeat(MB) } },
    { label: "1 MB array", body: Array.from({ length: MB / 8 }, (_, i) => i) },
    { label: "nested 1000 deep", body: deep(1000) },
  ];
}

function poisonTaskRequests(): Array<{ label: string; body: unknown }> {
  return [
    { label: "string", body: "create me" },
    { label: "null", body: null },
    { label: "request not an object", body: { task_request: [1, 2] } },
    { label: "sql in names", body: { task_request: { namespace: "x'; DROP TABLE tasker.tasks; --", name: "../../etc", version: "1.0.0" } } },
    { label: "unknown template", body: { task_request: { namespace: "fault_mixed", name: "no_such_template", version: "1.0.0", context: {} } } },
    { label: "1 MB context", body: { task_request: { namespace: "fault_mixed", name: "chain", version: "1.0.0", context: { step_ms: "x".repeat(MB) } } } },
  ];
}

interface Sent {
  queue: string;
  label: string;
  msgId: string;
  notified: boolean;
}

async function send(queue: string, body: unknown, notify: boolean): Promise<string> {
  const json = db.sql.json(body as never);
  const [row] = notify
    ? await db.sql<{ id: string }[]>`SELECT tasker.pgmq_send_with_notify(${queue}, ${json}::jsonb, 0, NULL)::text AS id`
    : await db.sql<{ id: string }[]>`SELECT pgmq.send(${queue}, ${json}::jsonb)::text AS id`;
  return row!.id;
}

test(
  "poison_messages_are_archived_with_a_logged_reason_and_valid_tasks_beside_them_complete",
  async () => {
    const procs: RoleProcess[] = [];
    try {
      procs.push(await startMixedRole("orchestration", db.url));
      procs.push(await startMixedRole("worker", db.url));
      const [orchestration, worker] = procs as [RoleProcess, RoleProcess];
      const rounds = size(1, 5);

      // Malformed notifications on the channels the processes LISTEN to.
      for (const channel of ["pgmq_message_ready.fault_mixed", "pgmq_message_ready.orchestration"]) {
        for (const payload of ["not json", "[]", '{"queue_name": 1}', JSON.stringify({ queue_name: WORKER_QUEUE, msg_id: "abc", event_type: "x" })]) {
          await db.sql`SELECT pg_notify(${channel}, ${payload})`;
        }
      }

      const sent: Sent[] = [];
      const valid = createMany(size(6, 60), { concurrency: 2, spacingMs: 20 }, (i) => mixedTask(i, 30), () => [orchestration]);
      for (let round = 0; round < rounds; round += 1) {
        for (const [queue, list] of [
          [WORKER_QUEUE, poisonStepMessages()],
          [RESULTS_QUEUE, poisonStepMessages()],
          [REQUESTS_QUEUE, poisonTaskRequests()],
        ] as const) {
          for (const [i, { label, body }] of list.entries()) {
            const notified = (i + round) % 2 === 0;
            sent.push({ queue, label, notified, msgId: await send(queue, body, notified) });
          }
        }
      }
      const validUuids = await valid;
      await waitForTasks(db.sql, validUuids, ["complete"], size(30_000, 120_000));

      // Every poison message left its queue for the archive.
      const where = async (s: Sent): Promise<"queue" | "archive" | "gone"> => {
        const [inQueue] = await db.sql.unsafe(`SELECT 1 FROM pgmq."q_${s.queue}" WHERE msg_id = $1`, [s.msgId]);
        if (inQueue) return "queue";
        const [archived] = await db.sql.unsafe(`SELECT 1 FROM pgmq."a_${s.queue}" WHERE msg_id = $1`, [s.msgId]);
        return archived ? "archive" : "gone";
      };
      await waitFor(async () => (await Promise.all(sent.map(where))).every((w) => w === "archive"), {
        timeoutMs: 15_000,
        description: "every poison message to be archived",
      }).catch(async (error: unknown) => {
        const left = (await Promise.all(sent.map(async (s) => ({ ...s, at: await where(s) })))).filter((s) => s.at !== "archive");
        throw new Error(`${(error as Error).message}; not archived: ${JSON.stringify(left)}`);
      });

      // Each with a reason in the log of the process that archived it.
      const logged = (s: Sent): Record<string, unknown> | undefined => {
        const proc = s.queue === WORKER_QUEUE ? worker : orchestration;
        return proc.logs().find((l) => String(l["msg_id"]) === s.msgId && l["queue_name"] === s.queue && (l["reason"] ?? l["error"]) !== undefined);
      };
      // A notice for an unknown step is archived inside process_step_result; its log names the step.
      const unknownStepNotices = sent.filter((s) => s.queue === RESULTS_QUEUE && s.label.startsWith("unknown step"));
      const unexplained = sent.filter((s) => !unknownStepNotices.includes(s) && logged(s) === undefined);
      expect(unexplained.map((s) => `${s.queue} ${s.label}`)).toEqual([]);
      expect(orchestration.logs().filter((l) => l["msg"] === "step result for an unknown step").length).toBe(unknownStepNotices.length);
      const droppedNotifications = procs.map((p) => p.logs().filter((l) => l["msg"] === "dropped a malformed notification").length);

      // No loop died: both processes still run, are ready, and nothing failed unhandled.
      for (const p of procs) {
        expect((await fetch(`${p.baseUrl}/health/ready`)).status).toBe(200);
        expect(p.logs().filter((l) => l["msg"] === "message handler failed" || String(l["msg"]).endsWith("iteration failed"))).toEqual([]);
      }
      const after = await createMany(3, { concurrency: 1, spacingMs: 0 }, (i) => mixedTask(i, 10), () => [orchestration]);
      await waitForTasks(db.sql, after, ["complete"]);
      report("poison messages", {
        poison_messages: sent.length,
        via_notify: sent.filter((s) => s.notified).length,
        archived: sent.length,
        malformed_notifications_dropped: droppedNotifications,
        valid_tasks: validUuids.length + after.length,
        lost: 0,
      });
    } finally {
      await killAll(procs);
    }
  },
  FAULT_TEST_TIMEOUT_MS,
);
