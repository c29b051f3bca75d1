import { loadNamespaces } from "../../../src/worker/loadNamespaces.ts";
import { registerTemplates } from "../../../src/worker/templateRegistrar.ts";
import { REPO_ROOT } from "../../support/binary.ts";
import { useTestDatabase } from "../../support/database.ts";
import { afterAll, beforeAll, describe, expect, test } from "../../support/test.ts";
import { serveApp, type ServedApp } from "./serveApp.ts";
import { createQueueClient } from "../../../src/queue/queueClient.ts";
import { createQueueHealthProvider } from "../../../src/queue/queueHealth.ts";

const db = useTestDatabase(import.meta.file);
const READER = "dashboard-reader-key-0123456789";
const DLQ_READER = "dashboard-dlq-reader-key-0123456789";
const OPERATOR = "dashboard-operator-key-0123456789";
const UNKNOWN_TASK = "01960000-0000-7000-8000-000000000000";

let secured: ServedApp;
let off: ServedApp;

beforeAll(async () => {
  const [approval] = await loadNamespaces(`${REPO_ROOT}/handlers`, ["conditional_approval"]);
  await registerTemplates(db.sql, approval!.templates.map((t) => t.template));
  secured = serveApp({
    sql: db.sql,
    dashboard: true,
    auth: {
      enabled: true,
      api_keys: [
        { key: READER, permissions: ["tasks:list"], description: "reader" },
        { key: DLQ_READER, permissions: ["dlq:read", "templates:read"], description: "dlq reader" },
        { key: OPERATOR, permissions: ["dlq:read", "dlq:update", "templates:read"], description: "operator" },
      ],
    },
  });
  off = serveApp({ sql: db.sql });
});
afterAll(async () => {
  await secured?.stop();
  await off?.stop();
});

describe("dashboard over HTTP", () => {
  test("pages are public shells with the auth mode and header, fragments need the API's permission", async () => {
    const page = await fetch(`${secured.url}/dashboard`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain('data-auth="on"');
    expect(html).toContain('data-api-key-header="X-API-Key"');
    expect(html).not.toContain("<tr data-task-uuid");

    expect((await fetch(`${secured.url}/dashboard/fragments/tasks`)).status).toBe(401);
    const list = await fetch(`${secured.url}/dashboard/fragments/tasks`, { headers: { "X-API-Key": READER } });
    expect(list.status).toBe(200);
    expect(await list.text()).toContain("No task matches");
    // tasks:list does not grant tasks:read.
    const task = await fetch(`${secured.url}/dashboard/fragments/tasks/${UNKNOWN_TASK}`, { headers: { "X-API-Key": READER } });
    expect(task.status).toBe(403);
    const stream = await fetch(`${secured.url}/dashboard/events/tasks/${UNKNOWN_TASK}`, { headers: { "X-API-Key": READER } });
    expect(stream.status).toBe(403);
  });

  test("the overview shows backpressure, dead tuples and the oldest transaction holding back cleanup", async () => {
    const queues = createQueueClient(db.sql);
    await queues.create("worker_dashboard_bp_queue");
    for (let i = 0; i < 3; i += 1) await queues.send("worker_dashboard_bp_queue", { i });
    const open = serveApp({ sql: db.sql, dashboard: { queueHealth: () => createQueueHealthProvider(db.sql, queues).detail(), backpressureMaxDepth: 2 } });
    try {
      const html = await (await fetch(`${open.url}/dashboard/fragments/overview`)).text();
      expect(html).toContain('data-backpressure="refusing"');
      expect(html).toContain("worker_dashboard_bp_queue holds 3, over 2");
      expect(html).toContain("Dead tuples");
      expect(html).toContain("data-oldest-transaction");
    } finally {
      await open.stop();
    }
    const relaxed = serveApp({ sql: db.sql, dashboard: { queueHealth: () => createQueueHealthProvider(db.sql, queues).detail(), backpressureMaxDepth: 10 } });
    try {
      expect(await (await fetch(`${relaxed.url}/dashboard/fragments/overview`)).text()).toContain('data-backpressure="admitting"');
    } finally {
      await relaxed.stop();
    }
  });

  test("bad filters are 400 naming the field; empty form fields mean any", async () => {
    const headers = { "X-API-Key": READER };
    const bad = await fetch(`${secured.url}/dashboard/fragments/tasks?created_after=yesterday`, { headers });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { field: string } }).error.field).toBe("created_after");
    const empty = await fetch(`${secured.url}/dashboard/fragments/tasks?namespace=&state=&tag=`, { headers });
    expect(empty.status).toBe(200);
  });

  test("the script and stylesheet are served from the binary; without the dashboard /dashboard is 404", async () => {
    const script = await fetch(`${secured.url}/dashboard/assets/dashboard.js`);
    expect(script.headers.get("content-type")).toContain("text/javascript");
    expect(await script.text()).toContain("sessionStorage");
    expect((await fetch(`${secured.url}/dashboard/assets/dashboard.css`)).status).toBe(200);
    expect((await fetch(`${off.url}/dashboard`)).status).toBe(404);
  });

  test("the DLQ fragment lists pending entries (dlq:read), offers Resolve only with dlq:update, and Resolve through the API removes the entry", async () => {
    const { dlqEntryUuid, taskUuid } = await seedDlqEntry();
    const get = (key: string) => fetch(`${secured.url}/dashboard/fragments/dlq`, { headers: { "X-API-Key": key } });
    expect((await fetch(`${secured.url}/dashboard/fragments/dlq`)).status).toBe(401);
    expect((await get(READER)).status).toBe(403);
    const readOnly = await get(DLQ_READER);
    expect(readOnly.status).toBe(200);
    const readOnlyHtml = await readOnly.text();
    expect(readOnlyHtml).toContain(`data-dlq-entry="${dlqEntryUuid}"`);
    expect(readOnlyHtml).toContain(`href="/dashboard/tasks/${taskUuid}"`);
    expect(readOnlyHtml).toContain("staleness timeout");
    expect(readOnlyHtml).not.toContain("<button");
    const operatorHtml = await (await get(OPERATOR)).text();
    expect(operatorHtml).toContain('data-action="resolve-dlq"');
    expect(operatorHtml).toContain('data-actor="operator"');

    // The button's call: the API's own route and permission.
    const patch = (key: string) =>
      fetch(`${secured.url}/v1/dlq/entry/${dlqEntryUuid}`, {
        method: "PATCH",
        headers: { "X-API-Key": key, "content-type": "application/json" },
        body: JSON.stringify({ resolution_status: "ManuallyResolved", resolution_notes: "re-ran by hand", resolved_by: "operator" }),
      });
    expect((await patch(DLQ_READER)).status).toBe(403);
    expect((await patch(OPERATOR)).status).toBe(200);
    const after = await (await get(OPERATOR)).text();
    expect(after).not.toContain(dlqEntryUuid);
    expect(after).toContain("No DLQ entry awaits investigation");
    const [row] = await db.sql<{ resolution_status: string; resolution_notes: string }[]>`
      SELECT resolution_status, resolution_notes FROM tasker.tasks_dlq WHERE dlq_entry_uuid = ${dlqEntryUuid}::uuid`;
    expect(row).toEqual({ resolution_status: "manually_resolved", resolution_notes: "re-ran by hand" });
  });

  test("the templates fragments list the catalog and draw a template's graph and input schema (templates:read)", async () => {
    const headers = { "X-API-Key": DLQ_READER };
    expect((await fetch(`${secured.url}/dashboard/fragments/templates`)).status).toBe(401);
    expect((await fetch(`${secured.url}/dashboard/fragments/templates`, { headers: { "X-API-Key": READER } })).status).toBe(403);
    const list = await fetch(`${secured.url}/dashboard/fragments/templates`, { headers });
    expect(list.status).toBe(200);
    const listHtml = await list.text();
    expect(listHtml).toContain('data-template="conditional_approval/approval_routing/1.0.0"');
    expect(listHtml).toContain('href="/dashboard/templates/conditional_approval/approval_routing/1.0.0"');

    const detailUrl = `${secured.url}/dashboard/fragments/templates/conditional_approval/approval_routing/1.0.0`;
    expect((await fetch(detailUrl, { headers: { "X-API-Key": READER } })).status).toBe(403);
    const detail = await fetch(detailUrl, { headers });
    expect(detail.status).toBe(200);
    const html = await detail.text();
    for (const step of ["validate_request", "routing_decision", "auto_approve", "manager_approval", "finance_review", "finalize_approval"]) {
      expect(html).toContain(`data-step-name="${step}"`);
    }
    expect(html).toContain('data-step-type="decision"');
    expect(html).toContain("deferred convergence");
    expect(html).not.toContain("data-state=");
    expect(html).toContain('data-from="routing_decision" data-to="manager_approval"');
    expect(html).toContain("&quot;requester&quot;");
    const missing = await fetch(`${secured.url}/dashboard/fragments/templates/conditional_approval/nothing/1.0.0`, { headers });
    expect(missing.status).toBe(404);

    const shell = await fetch(`${secured.url}/dashboard/templates/conditional_approval/approval_routing/1.0.0`);
    expect(shell.status).toBe(200);
    const shellHtml = await shell.text();
    expect(shellHtml).toContain('data-fragment="/dashboard/fragments/templates/conditional_approval/approval_routing/1.0.0"');
    expect(shellHtml).toContain('href="/dashboard/dlq"');
    expect((await fetch(`${secured.url}/dashboard/dlq`)).status).toBe(200);
  });
});

/** A task of the registered template with a pending staleness DLQ entry, as the staleness detector writes it. */
async function seedDlqEntry(): Promise<{ taskUuid: string; dlqEntryUuid: string }> {
  const [task] = await db.sql<{ task_uuid: string }[]>`
    INSERT INTO tasker.tasks (named_task_uuid, identity_hash, correlation_id, state)
    SELECT named_task_uuid, 'dashboard-dlq-1', tasker.uuid_generate_v7(), 'error' FROM tasker.named_tasks WHERE name = 'approval_routing'
    RETURNING task_uuid`;
  const [entry] = await db.sql<{ dlq_entry_uuid: string }[]>`
    INSERT INTO tasker.tasks_dlq (task_uuid, original_state, dlq_reason, task_snapshot)
    VALUES (${task!.task_uuid}::uuid, 'steps_in_process', 'staleness_timeout',
            ${db.sql.json({ namespace: "conditional_approval", task_name: "approval_routing", current_state: "steps_in_process" })})
    RETURNING dlq_entry_uuid`;
  return { taskUuid: task!.task_uuid, dlqEntryUuid: entry!.dlq_entry_uuid };
}
