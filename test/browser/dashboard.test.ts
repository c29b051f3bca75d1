/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument -- page callbacks run in the browser and see DOM types this project (no DOM lib) does not declare */
/**
 * The dashboard in headless Chromium against the compiled binary: a combined process with the
 * shipped handlers, a worker for the e2e_linear fixture (slow steps, so changes can be watched),
 * and an orchestration process with auth on. With TASKER_SCREENSHOTS=1 the screenshots of README
 * are written to docs/images/dashboard-*.png.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "puppeteer-core";
import { REPO_ROOT } from "../support/binary.ts";
import { useTestDatabase } from "../support/database.ts";
import { afterAll, beforeAll, describe, expect, test } from "../support/test.ts";
import { createTask, FIXTURE_HANDLERS, killAll, startRole, waitForTasks, type RoleProcess, type TaskResponse } from "../e2e/engineHarness.ts";
import { button, buttonNames, findChromium, launchBrowser, openPage, waitForDag, waitForText } from "./browser.ts";

const chromium = findChromium();
const db = useTestDatabase(import.meta.file);
const FULL_KEY = "dashboard-full-key-0123456789";
const READ_ONLY_KEY = "dashboard-read-only-key-0123456789";
const TRACE_URL = "http://traces.example/search?correlation_id={correlation_id}";
const READ_ONLY = ["tasks:read", "tasks:list", "steps:read", "system:analytics_read"];
/** README's pictures: refreshed by `TASKER_SCREENSHOTS=1 bun test test/browser`, so ordinary runs leave the tree clean. */
const screenshot = async (page: Page, name: string): Promise<void> => {
  if (process.env["TASKER_SCREENSHOTS"] === "1") await page.screenshot({ path: join(REPO_ROOT, "docs", "images", `dashboard-${name}.png`) });
};

describe.skipIf(!chromium)("dashboard in a browser", () => {
  let combined: RoleProcess | undefined;
  let worker: RoleProcess | undefined;
  let secured: RoleProcess | undefined;
  let browser: Browser | undefined;
  const errors: string[] = [];

  beforeAll(async () => {
    combined = await startRole("combined", {
      databaseUrl: db.url,
      namespaces: ["retry_examples", "conditional_approval"],
      env: { TASKER_WEB__DASHBOARD__TRACE_URL: TRACE_URL },
    });
    [worker, secured, browser] = await Promise.all([
      startRole("worker", { databaseUrl: db.url, handlersDir: FIXTURE_HANDLERS, namespaces: ["e2e_linear", "dashboard_cases"] }),
      startRole("orchestration", {
        databaseUrl: db.url,
        env: {
          TASKER_WEB__AUTH__ENABLED: "true",
          TASKER_WEB__AUTH__API_KEYS: `[{ key = "${FULL_KEY}", permissions = ["tasks:*", "steps:*", "system:*"], description = "operator" }, { key = "${READ_ONLY_KEY}", permissions = ${JSON.stringify(READ_ONLY)} }]`,
        },
      }),
      launchBrowser(chromium!),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await killAll([combined, worker, secured]);
  });
  const base = (): string => combined!.baseUrl;

  test("a created task appears in the list and its graph goes to complete live, without a reload", async () => {
    const task = await createTask(base(), { namespace: "e2e_linear", name: "short_chain", version: "1.0.0", context: { step_ms: 600 }, tags: ["browser"] });
    const page = await openPage(browser!, errors);
    await page.goto(`${base()}/dashboard?tag=browser`);
    const row = await page.waitForSelector(`tr[data-task-uuid="${task.task_uuid}"]`);
    expect(await row!.evaluate((r) => r.textContent)).toContain("e2e_linear/short_chain");
    await screenshot(page, "tasks");
    await Promise.all([page.waitForNavigation(), page.click(`tr[data-task-uuid="${task.task_uuid}"] a`)]);
    expect(page.url()).toBe(`${base()}/dashboard/tasks/${task.task_uuid}`);
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
    const early = await waitForDag(page, (s) => Object.keys(s).length === 3);
    expect(early["chain_3"]).toBe("pending");
    expect(Object.values(early).some((s) => ["pending", "enqueued", "in_progress"].includes(s))).toBe(true);
    // Every node says its state in words, not only by colour.
    const labels = await page.$$eval("svg.dag [data-step-name] .dag-state", (nodes) => nodes.map((n) => n.textContent));
    expect(labels).toContain("pending");
    const seenRunning = await waitForDag(page, (s) => s["chain_2"] === "in_progress" || s["chain_3"] === "in_progress");
    expect(seenRunning["chain_1"]).toBe("complete");
    await screenshot(page, "task-running");
    const done = await waitForDag(page, (s) => Object.values(s).length === 3 && Object.values(s).every((x) => x === "complete"));
    expect(done).toEqual({ chain_1: "complete", chain_2: "complete", chain_3: "complete" });
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(await page.$eval("[data-task-state]", (el) => el.getAttribute("data-task-state"))).toBe("complete");
    // web.dashboard.trace_url links the correlation id to its trace.
    expect(await page.$eval("[data-trace-link]", (el) => el.getAttribute("href"))).toBe(TRACE_URL.replace("{correlation_id}", task.correlation_id));
    // The search finds it by correlation id.
    await page.goto(`${base()}/dashboard?uuid=${task.correlation_id}`);
    await page.waitForSelector(`tr[data-task-uuid="${task.task_uuid}"]`);
    expect(await page.$$eval("tr[data-task-uuid]", (rows) => rows.length)).toBe(1);
    await page.close();
  });

  test("a permanently failed step shows its error; Retry runs it again; a malformed result is refused in the page; Complete with result finishes the task", async () => {
    const task = await createTask(base(), { namespace: "retry_examples", name: "permanent_failure", version: "1.0.0", context: { case: "browser" } });
    await waitForTasks(db.sql, [task.task_uuid], ["blocked_by_failures", "error"]);
    const reject = stepOf(task, "reject_order");
    const page = await openPage(browser!, errors);
    await page.goto(`${base()}/dashboard/tasks/${task.task_uuid}?step=${reject}`);
    await page.waitForSelector('[data-inspected-step="reject_order"] [data-section="error"]');
    expect(await page.$eval('[data-section="error"]', (el) => el.textContent)).toContain("order rejected: payment method is not accepted");
    expect(await page.$eval('[data-section="explain"]', (el) => el.textContent)).toContain("not running");
    expect(await waitForDag(page, (s) => s["reject_order"] === "error")).toMatchObject({ reject_order: "error", ship_order: "pending" });
    await screenshot(page, "step-error");

    // The handler always rejects, so Retry (error → pending, attempts reset) runs it again and it fails the same way.
    const historyBefore = await page.$$eval("table.history tbody tr", (rows) => rows.length);
    await (await button(page, "Retry")).click();
    await waitForText(page, "#flash", "done");
    await page.waitForSelector('table.history tr[data-from="error"][data-to="pending"]');
    await page.waitForFunction(
      (before: number) => {
        const rows = [...(globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<{ getAttribute(n: string): string | null }> } }).document.querySelectorAll("table.history tbody tr")];
        return rows.length > before + 2 && rows.at(-1)?.getAttribute("data-to") === "error";
      },
      { timeout: 15_000 },
      historyBefore,
    );
    await waitForDag(page, (s) => s["reject_order"] === "error");

    await page.$eval("#result-json", (el) => ((el as unknown as { value: string }).value = "{ approved: yes"));
    await (await button(page, "Complete with result")).click();
    await waitForText(page, "#flash", "not valid JSON");
    expect(await page.$eval("#flash", (el) => el.className)).toContain("is-error");
    expect(await page.$$eval("svg.dag [data-step-name]", (nodes) => nodes.length)).toBe(2);

    await page.$eval("#result-json", (el) => ((el as unknown as { value: string }).value = '{"approved": true}'));
    await (await button(page, "Complete with result")).click();
    const done = await waitForDag(page, (s) => s["reject_order"] === "complete" && s["ship_order"] === "complete");
    expect(done).toEqual({ reject_order: "complete", ship_order: "complete" });
    await waitForTasks(db.sql, [task.task_uuid], ["complete"]);
    await page.close();
  });

  test("Retry after the operator fixes the input completes the task", async () => {
    const inputPath = join(mkdtempSync(join(tmpdir(), "tasker-dashboard-")), "orders.csv");
    const task = await createTask(base(), { namespace: "dashboard_cases", name: "import_file", version: "1.0.0", context: { input_path: inputPath } });
    await waitForTasks(db.sql, [task.task_uuid], ["blocked_by_failures", "error"]);
    const page = await openPage(browser!, errors);
    await page.goto(`${base()}/dashboard/tasks/${task.task_uuid}?step=${stepOf(task, "read_input")}`);
    await page.waitForSelector('[data-inspected-step="read_input"] [data-section="error"]');
    expect(await page.$eval('[data-section="error"]', (el) => el.textContent)).toContain(`input file ${inputPath} does not exist`);
    expect(await waitForDag(page, (s) => s["read_input"] === "error")).toEqual({ read_input: "error", summarize: "pending" });

    // The operator provides the file, then presses Retry: the step runs again and the task completes, live.
    writeFileSync(inputPath, "a\nb\nc\n");
    await (await button(page, "Retry")).click();
    await waitForText(page, "#flash", "done");
    expect(await waitForDag(page, (s) => s["read_input"] === "complete" && s["summarize"] === "complete")).toEqual({ read_input: "complete", summarize: "complete" });
    await waitForTasks(db.sql, [task.task_uuid], ["complete"]);
    await page.close();
  });

  test("a decision task shows only the branches its decision created", async () => {
    const task = await createTask(base(), {
      namespace: "conditional_approval", name: "approval_routing", version: "1.0.0",
      context: { amount: 250, requester: "ana", purpose: "books" },
    });
    await waitForTasks(db.sql, [task.task_uuid], ["complete"]);
    const page = await openPage(browser!, errors);
    await page.goto(`${base()}/dashboard/tasks/${task.task_uuid}`);
    const states = await waitForDag(page, (s) => Object.keys(s).length > 0);
    expect(Object.keys(states).sort()).toEqual(["auto_approve", "finalize_approval", "routing_decision", "validate_request"]);
    expect(await page.$eval('[data-step-name="auto_approve"]', (n) => n.getAttribute("data-created-by"))).toBe("routing_decision");
    expect(await page.$eval('[data-step-name="auto_approve"]', (n) => n.textContent)).toContain("created by routing_decision");
    expect(await page.$$eval("[data-absent-step]", (items) => items.map((i) => i.getAttribute("data-absent-step")).sort())).toEqual(["finance_review", "manager_approval"]);
    await screenshot(page, "decision");
    // Keyboard: the step links are reachable and open the inspector.
    await page.focus('a[data-step-link] [data-step-name="auto_approve"]').catch(() => undefined);
    await page.$eval('[data-step-name="auto_approve"]', (n) => (n.parentElement as unknown as { focus(): void }).focus());
    await page.keyboard.press("Enter");
    await page.waitForSelector('[data-inspected-step="auto_approve"]');
    await page.close();
  });

  test("the templates page draws a shipped template's graph with its step types and input schema", async () => {
    const page = await openPage(browser!, errors);
    await page.goto(`${base()}/dashboard/templates`);
    const link = await page.waitForSelector('tr[data-template="conditional_approval/approval_routing/1.0.0"] a');
    await Promise.all([page.waitForNavigation(), link!.click()]);
    expect(page.url()).toBe(`${base()}/dashboard/templates/conditional_approval/approval_routing/1.0.0`);
    await page.waitForSelector("svg.dag [data-step-name]");
    const types: Record<string, string> = await page.$$eval("svg.dag [data-step-name]", (nodes) =>
      Object.fromEntries(nodes.map((n): [string, string] => [n.getAttribute("data-step-name") ?? "", n.querySelector(".dag-state")?.textContent ?? ""])),
    );
    expect(types).toEqual({
      validate_request: "step", routing_decision: "decision", auto_approve: "step",
      manager_approval: "step", finance_review: "step", finalize_approval: "deferred convergence",
    });
    expect(await page.$$eval("svg.dag [data-state]", (nodes) => nodes.length)).toBe(0);
    expect(await page.$eval('[data-section="input-schema"]', (el) => el.textContent)).toContain('"requester"');
    await screenshot(page, "template");
    await page.close();
  });

  test("the DLQ page lists a pending entry; an API error is shown in the page; Resolve with a note resolves it", async () => {
    const task = await createTask(base(), {
      namespace: "conditional_approval", name: "approval_routing", version: "1.0.0",
      context: { amount: 10, requester: "dlq", purpose: "dlq" },
    });
    // As the staleness detector writes it (its timing is minutes; the row is what the page shows).
    const insert = async (): Promise<string> => {
      const [row] = await db.sql<{ id: string }[]>`
        INSERT INTO tasker.tasks_dlq (task_uuid, original_state, dlq_reason, task_snapshot)
        VALUES (${task.task_uuid}::uuid, 'steps_in_process', 'staleness_timeout',
                ${db.sql.json({ namespace: "conditional_approval", task_name: "approval_routing", current_state: "steps_in_process" })})
        RETURNING dlq_entry_uuid AS id`;
      return row!.id;
    };
    const gone = await insert();
    const page = await openPage(browser!, errors);
    await page.goto(`${base()}/dashboard/dlq`);
    const row = await page.waitForSelector(`tr[data-dlq-entry="${gone}"]`);
    expect(await row!.evaluate((r) => r.textContent)).toContain("conditional_approval/approval_routing");
    expect(await row!.evaluate((r) => r.textContent)).toContain("staleness timeout");
    // Without a note nothing is sent.
    await (await button(page, "Resolve")).click();
    await waitForText(page, "#flash", "Give a resolution note");
    // The entry disappears behind the page's back: the API's 404 is shown.
    await db.sql`DELETE FROM tasker.tasks_dlq WHERE dlq_entry_uuid = ${gone}::uuid`;
    await page.type(`#dlq-note-${gone}`, "re-ran by hand");
    await (await button(page, "Resolve")).click();
    await waitForText(page, "#flash", `no DLQ entry ${gone}`);
    expect(await page.$eval("#flash", (el) => el.className)).toContain("is-error");

    const entry = await insert();
    await page.reload();
    await page.waitForSelector(`tr[data-dlq-entry="${entry}"]`);
    await screenshot(page, "dlq");
    await page.type(`#dlq-note-${entry}`, "re-ran by hand");
    await (await button(page, "Resolve")).click();
    await waitForText(page, "#flash", "done");
    await waitForText(page, "#dlq", "No DLQ entry awaits investigation");
    const [resolved] = await db.sql<{ resolution_status: string; resolution_notes: string; resolved_by: string }[]>`
      SELECT resolution_status, resolution_notes, resolved_by FROM tasker.tasks_dlq WHERE dlq_entry_uuid = ${entry}::uuid`;
    expect(resolved).toEqual({ resolution_status: "manually_resolved", resolution_notes: "re-ran by hand", resolved_by: "dashboard" });
    await page.close();
  });

  test("with auth on the dashboard asks for a key; a read-only key sees no action buttons, an operator key does", async () => {
    const task = await createTask(base(), { namespace: "retry_examples", name: "permanent_failure", version: "1.0.0", context: { case: "auth" } });
    await waitForTasks(db.sql, [task.task_uuid], ["blocked_by_failures", "error"]);
    const page = await openPage(browser!, errors);
    const url = `${secured!.baseUrl}/dashboard/tasks/${task.task_uuid}?step=${stepOf(task, "reject_order")}`;
    await page.goto(url);
    await page.waitForSelector("#credential-panel:not([hidden])");
    expect(await page.$("svg.dag")).toBeNull();
    await screenshot(page, "sign-in");

    await page.type("#credential", READ_ONLY_KEY);
    await (await button(page, "Sign in")).click();
    await page.waitForSelector('[data-inspected-step="reject_order"]');
    await waitForDag(page, (s) => s["reject_order"] === "error");
    expect(await buttonNames(page)).toEqual(["Sign out"]);

    await (await button(page, "Sign out")).click();
    await page.waitForSelector("#credential-panel:not([hidden])");
    await page.type("#credential", "not-a-key");
    await (await button(page, "Sign in")).click();
    await waitForText(page, "#credential-error", "Invalid API key");

    await page.type("#credential", FULL_KEY);
    await (await button(page, "Sign in")).click();
    await page.waitForSelector('[data-inspected-step="reject_order"]');
    // The step's actions and the task's Cancel are drawn by separate renders after sign-in.
    for (const name of ["Cancel task", "Retry", "Resolve", "Complete with result"]) await button(page, name);
    expect(await buttonNames(page)).toEqual(expect.arrayContaining(["Cancel task", "Retry", "Resolve", "Complete with result"]));
    await (await button(page, "Cancel task")).click();
    await waitForTasks(db.sql, [task.task_uuid], ["cancelled"]);
    await page.waitForSelector('[data-task-state="cancelled"]');
    expect(await buttonNames(page)).not.toContain("Cancel task");

    await page.goto(`${secured!.baseUrl}/dashboard/overview`);
    await page.waitForSelector('[data-check="database"]');
    expect(await page.$$eval("[data-state-count]", (rows) => rows.map((r) => r.getAttribute("data-state-count")))).toContain("complete");
    expect(await page.$$eval("[data-process]", (rows) => rows.length)).toBeGreaterThanOrEqual(3);
    await screenshot(page, "overview");
    await page.close();
    expect(errors).toEqual([]);
  });
});

function stepOf(task: TaskResponse, name: string): string {
  const step = task.steps.find((s) => s.name === name);
  if (!step) throw new Error(`task ${task.task_uuid} has no step ${name}`);
  return step.workflow_step_uuid;
}
