/**
 * Notifications sent after the commit (migration 0020): a transaction that set
 * `tasker.notify_after_commit` collects its messages' notifications instead of sending them, and
 * create_task returns them; the repository sends them once the creation committed, so concurrent
 * creations do not serialize on PostgreSQL's notification queue lock. Every message is still
 * notified exactly once.
 */
import { join } from "node:path";
import postgres from "postgres";
import { loadNamespaces } from "../../src/worker/loadNamespaces.ts";
import { registerTemplates } from "../../src/worker/templateRegistrar.ts";
import { REPO_ROOT } from "../support/binary.ts";
import { useTestDatabase } from "../support/database.ts";
import { passiveOrchestration } from "../support/engine.ts";
import { afterAll, beforeAll, expect, test } from "../support/test.ts";
import { waitFor } from "../support/waitFor.ts";

const db = useTestDatabase(import.meta.file);
const CHANNEL = "pgmq_message_ready.linear_workflow";
const QUEUE = "worker_linear_workflow_queue";
const received: Array<{ step_uuid?: string; msg_id?: number; event_type?: string }> = [];
let listener: postgres.Sql;

beforeAll(async () => {
  const namespaces = await loadNamespaces(join(REPO_ROOT, "handlers"), ["linear_workflow"]);
  await registerTemplates(db.sql, namespaces.flatMap((ns) => ns.templates.map((t) => t.template)));
  await db.sql`SELECT pgmq."create"(${QUEUE})`;
  listener = postgres(db.url, { max: 1, onnotice: () => {} });
  await listener.listen(CHANNEL, (payload) => {
    const parsed = JSON.parse(payload) as { event_type?: string; msg_id?: number; message?: { step_uuid?: string } };
    received.push({ event_type: parsed.event_type, msg_id: parsed.msg_id, step_uuid: parsed.message?.step_uuid });
  });
});

afterAll(async () => {
  await listener.end({ timeout: 5 });
});

test("a_transaction_that_defers_collects_its_notifications_and_sends_none_at_commit", async () => {
  const before = received.length;
  const deferred = await db.sql.begin(async (tx) => {
    await tx`SELECT set_config('tasker.notify_after_commit', 'on', true)`;
    await tx`SELECT tasker.pgmq_send_with_notify(${QUEUE}, ${tx.json({ step_uuid: "01a20000-0000-7000-8000-000000000001" })}::jsonb)`;
    await tx`SELECT tasker.pgmq_send_with_notify(${QUEUE}, ${tx.json({ step_uuid: "01a20000-0000-7000-8000-000000000002" })}::jsonb)`;
    const [row] = await tx<{ n: Array<[string, string]> }[]>`SELECT tasker.deferred_notifications() AS n`;
    return row!.n;
  });
  expect(deferred.map(([channel]) => channel)).toEqual([CHANNEL, CHANNEL]);
  expect(deferred.map(([, payload]) => (JSON.parse(payload) as { message: { step_uuid: string } }).message.step_uuid)).toEqual([
    "01a20000-0000-7000-8000-000000000001",
    "01a20000-0000-7000-8000-000000000002",
  ]);
  // A notification sent at commit arrives within milliseconds; give it ample time not to.
  await db.sql`SELECT pg_notify(${CHANNEL}, ${JSON.stringify({ event_type: "marker" })})`;
  await waitFor(() => received.slice(before).some((n) => n.event_type === "marker"), { timeoutMs: 5_000, description: "the marker" });
  expect(received.slice(before).filter((n) => n.event_type !== "marker")).toEqual([]);
  // Outside such a transaction the setting is gone: the next send notifies at its commit.
  await db.sql`SELECT tasker.pgmq_send_with_notify(${QUEUE}, ${db.sql.json({ step_uuid: "01a20000-0000-7000-8000-000000000003" })}::jsonb)`;
  await waitFor(() => received.some((n) => n.step_uuid === "01a20000-0000-7000-8000-000000000003"), { timeoutMs: 5_000, description: "the plain send's notification" });
});

test("concurrent_creations_notify_each_root_message_exactly_once_after_their_commits", async () => {
  const orchestration = passiveOrchestration(db.sql);
  const before = received.length;
  const tasks = await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      orchestration.createTask({ namespace: "linear_workflow", name: "mathematical_sequence", version: "1.0.0", context: { even_number: 2 * (i + 1) } }),
    ),
  );
  const roots = await db.sql<{ id: string }[]>`
    SELECT workflow_step_uuid::text AS id FROM tasker.workflow_steps
     WHERE task_uuid = ANY (${tasks.map((t) => t.taskUuid)}::uuid[]) AND state = 'enqueued'`;
  expect(roots).toHaveLength(12);
  await waitFor(() => roots.every((r) => received.some((n) => n.step_uuid === r.id)), { timeoutMs: 5_000, description: "a notification for every root step" });
  // The markers of the test above aside, one notification per root message, none twice.
  await db.sql`SELECT pg_notify(${CHANNEL}, ${JSON.stringify({ event_type: "marker" })})`;
  await waitFor(() => received.slice(before).some((n) => n.event_type === "marker"), { timeoutMs: 5_000, description: "the marker" });
  const steps = received.slice(before).filter((n) => n.step_uuid !== undefined).map((n) => n.step_uuid);
  expect(steps.sort()).toEqual(roots.map((r) => r.id).sort());
});
