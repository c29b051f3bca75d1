/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- page callbacks run in the browser and see DOM types this project (no DOM lib) does not declare */
/**
 * Headless Chromium for the dashboard's browser tests (puppeteer-core: no browser download).
 * `CHROMIUM_PATH`, else /usr/bin/chromium, else `chromium` on the PATH. Without one the tests
 * skip with a message, unless TASKER_REQUIRE_BROWSER=1 (CI), where a missing browser fails.
 */
import { existsSync } from "node:fs";
import puppeteer, { type Browser, type ElementHandle, type Page } from "puppeteer-core";

export function findChromium(): string | undefined {
  const candidates = [process.env["CHROMIUM_PATH"], "/usr/bin/chromium", Bun.which("chromium") ?? undefined, Bun.which("chromium-browser") ?? undefined];
  const found = candidates.find((path): path is string => path !== undefined && path !== "" && existsSync(path));
  if (!found && process.env["TASKER_REQUIRE_BROWSER"] === "1") {
    throw new Error("TASKER_REQUIRE_BROWSER=1 but no Chromium was found: install it (apt-get install -y chromium) or set CHROMIUM_PATH");
  }
  if (!found) console.warn("dashboard browser tests skipped: no Chromium (apt-get install -y chromium, or set CHROMIUM_PATH)");
  return found;
}

export function launchBrowser(executablePath: string): Promise<Browser> {
  return puppeteer.launch({
    executablePath,
    headless: true,
    // As root (CI containers) Chromium's sandbox cannot start.
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    defaultViewport: { width: 1400, height: 900 },
  });
}

/** A new page that accepts every confirmation dialog and fails the test on a page error. */
export async function openPage(browser: Browser, errors: string[]): Promise<Page> {
  const page = await browser.newPage();
  page.on("dialog", (dialog) => void dialog.accept());
  page.on("pageerror", (error) => errors.push(String(error)));
  page.setDefaultTimeout(15_000);
  return page;
}

/** The visible text of every button on the page. */
export function buttonNames(page: Page): Promise<string[]> {
  return page.$$eval("button", (buttons) => buttons.filter((b) => !b.hidden && b.offsetParent !== null).map((b) => (b.textContent ?? "").trim()));
}

/** The visible button named by its text (waits for it). */
export async function button(page: Page, name: string, timeout = 15_000): Promise<ElementHandle> {
  const handle = await page.waitForFunction(
    (text: string) => {
      interface Button { textContent: string | null; hidden: boolean; offsetParent: unknown }
      const buttons = (globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<Button> } }).document.querySelectorAll("button");
      return [...buttons].find((b) => (b.textContent ?? "").trim() === text && !b.hidden && b.offsetParent !== null) ?? false;
    },
    { timeout },
    name,
  );
  const element = handle.asElement();
  if (!element) throw new Error(`no button named ${name}`);
  return element as ElementHandle;
}

/** `data-step-name` → `data-state` of every node of the task page's graph. */
export function dagStates(page: Page): Promise<Record<string, string>> {
  return page.$$eval("svg.dag [data-step-name]", (nodes) =>
    Object.fromEntries(nodes.map((n) => [n.getAttribute("data-step-name") ?? "", n.getAttribute("data-state") ?? ""])),
  );
}

/** Waits until the graph's states satisfy `accept` (without reloading), returning them. */
export async function waitForDag(page: Page, accept: (states: Record<string, string>) => boolean, timeoutMs = 20_000): Promise<Record<string, string>> {
  const deadline = Date.now() + timeoutMs;
  let states: Record<string, string> = {};
  while (Date.now() < deadline) {
    states = await dagStates(page).catch(() => ({}));
    if (accept(states)) return states;
    await Bun.sleep(100);
  }
  throw new Error(`the graph did not reach the expected states in ${timeoutMs} ms; last: ${JSON.stringify(states)}`);
}

interface QueryableDocument {
  querySelector(selector: string): { textContent: string | null } | null;
}

/** Waits until the element matching `selector` contains `text`. */
export async function waitForText(page: Page, selector: string, text: string, timeout = 15_000): Promise<void> {
  await page.waitForFunction(
    (sel: string, expected: string) =>
      (globalThis as unknown as { document: QueryableDocument }).document.querySelector(sel)?.textContent?.includes(expected) === true,
    { timeout },
    selector,
    text,
  );
}
