import { useTestDatabase } from "../../support/database.ts";
import { afterAll, beforeAll, describe, expect, test } from "../../support/test.ts";
import { serveApp, type ServedApp } from "./serveApp.ts";

const db = useTestDatabase(import.meta.file);
const READER = "dashboard-reader-key-0123456789";
const UNKNOWN_TASK = "01960000-0000-7000-8000-000000000000";

let secured: ServedApp;
let off: ServedApp;

beforeAll(() => {
  secured = serveApp({
    sql: db.sql,
    dashboard: true,
    auth: { enabled: true, api_keys: [{ key: READER, permissions: ["tasks:list"], description: "reader" }] },
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
});
