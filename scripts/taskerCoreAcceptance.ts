/**
 * Runs tasker-core's own TypeScript examples (templates, class-style and DSL handlers) through the
 * compiled binary and checks what tasker-core's end-to-end tests check, plus the values their
 * comments give. Nothing of tasker-core is kept in this repository: point the script at a checkout.
 *
 *   bun run build
 *   bun scripts/taskerCoreAcceptance.ts --tasker-core ../tasker-core
 *   bun scripts/taskerCoreAcceptance.ts --templates T --class-handlers C --dsl-handlers D [--keep DIR] [--only linear]
 *
 * The handlers directory it assembles (kept with --keep) is what a user would make: each template
 * in its namespace folder beside the example handlers, with only the import specifiers changed to
 * `@tasker-systems/tasker`. A template whose callable no handler declares (tasker-core's own files
 * disagree across releases) is set aside and reported, not counted as passed.
 */
import { mkdtempSync, mkdirSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { assembleHandlers, findSources, type TaskerCoreSources } from "./taskerCore/assemble.ts";
import { taskerCoreScenarios, type Scenario, type ScenarioTask } from "./taskerCore/scenarios.ts";

const ROOT = join(import.meta.dir, "..");
const { values } = parseArgs({
  options: {
    "tasker-core": { type: "string" },
    templates: { type: "string" },
    "class-handlers": { type: "string" },
    "dsl-handlers": { type: "string" },
    binary: { type: "string", default: join(ROOT, "dist", "tasker") },
    "database-url": { type: "string" },
    keep: { type: "string" },
    only: { type: "string" },
  },
});

const sources: TaskerCoreSources = values["tasker-core"]
  ? findSources(resolve(values["tasker-core"]))
  : {
      templates: resolve(values.templates ?? fail("give --tasker-core <checkout> or --templates")),
      classHandlers: values["class-handlers"] ? resolve(values["class-handlers"]) : null,
      dslHandlers: values["dsl-handlers"] ? resolve(values["dsl-handlers"]) : null,
    };

function fail(message: string): never {
  console.error(`taskerCoreAcceptance: ${message}`);
  process.exit(2);
}

const work = values.keep ? resolve(values.keep) : mkdtempSync(join(tmpdir(), "tasker-core-acceptance-"));
const handlersDir = join(work, "handlers");
const assembled = assembleHandlers(sources, handlersDir);
console.log(`assembled ${assembled.templates} templates in ${handlersDir} (${assembled.rewritten} import specifiers pointed at @tasker-systems/tasker)`);

// A database of its own.
const baseUrl = new URL(values["database-url"] ?? process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres");
const dbName = "tasker_core_acceptance";
const adminUrl = new URL(baseUrl.toString());
adminUrl.pathname = "/postgres";
const admin = postgres(adminUrl.toString(), { max: 1, onnotice: () => {} });
await admin.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
await admin.unsafe(`CREATE DATABASE ${dbName}`);
await admin.end();
const databaseUrl = new URL(baseUrl.toString());
databaseUrl.pathname = `/${dbName}`;

const port = await new Promise<number>((done) => {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const chosen = probe.port ?? 0;
  void probe.stop(true);
  done(chosen);
});
const base = `http://127.0.0.1:${port}`;

/** Starts `--role combined`; when start-up names templates whose callables no handler declares, sets them aside and starts again. */
async function start(parked: string[]): Promise<Bun.Subprocess> {
  for (let round = 0; round < 3; round += 1) {
    const child = Bun.spawn([values.binary, "--role", "combined", "--migrate", "--handlers", handlersDir, "--port", String(port)], {
      env: { ...process.env, DATABASE_URL: databaseUrl.toString(), TASKER_ENV: "test", TASKER_TELEMETRY__LOG_FORMAT: "json" },
      stdout: "ignore",
      stderr: "pipe",
    });
    let stderr = "";
    const reader = (async () => {
      for await (const chunk of child.stderr) stderr += new TextDecoder().decode(chunk);
    })();
    for (let i = 0; i < 300; i += 1) {
      if (child.exitCode !== null) break;
      const ready = await fetch(`${base}/health/ready`).then((r) => r.status === 200, () => false);
      if (ready) return child;
      await Bun.sleep(100);
    }
    await child.exited;
    await reader;
    const messages = stderr.split("\n").flatMap((line) => {
      try {
        const parsed = JSON.parse(line) as { error?: { message?: string } };
        return parsed.error?.message ? [parsed.error.message] : [];
      } catch {
        return [line];
      }
    });
    const unresolved = messages.flatMap((m) => [...m.matchAll(/(\S+\.ya?ml): step "[^"]+": handler "([^"]+)" not found/g)]);
    if (unresolved.length === 0) fail(`the binary did not start:\n${stderr.slice(-4000)}`);
    mkdirSync(join(work, "set_aside"), { recursive: true });
    for (const [, file, callable] of unresolved) {
      // Paths are as the binary names them: absolute, since --handlers is.
      renameSync(file!, join(work, "set_aside", basename(file!)));
      parked.push(`${basename(file!)}: callable ${callable} matches no handlerName in tasker-core's handlers`);
    }
  }
  return fail("the binary did not start after setting templates aside");
}

const parked: string[] = [];
const child = await start(parked);
for (const line of parked) console.log(`SET ASIDE  ${line}`);

async function run(scenario: Scenario): Promise<{ task?: ScenarioTask; ms: number; problem: string | null; skipped?: boolean }> {
  const started = performance.now();
  const created = await fetch(`${base}/v1/tasks`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ namespace: scenario.namespace, name: scenario.name, version: "1.0.0", context: scenario.context }),
  });
  const body = (await created.json()) as { task_uuid?: string; error?: { message: string } };
  if (created.status === 404 && parked.length > 0) return { ms: 0, problem: "its template was set aside", skipped: true };
  if (!body.task_uuid) return { ms: 0, problem: `create: HTTP ${created.status} ${body.error?.message ?? ""}` };
  for (;;) {
    const task = (await (await fetch(`${base}/v1/tasks/${body.task_uuid}`)).json()) as ScenarioTask;
    const ms = performance.now() - started;
    if (["complete", "error", "blocked_by_failures", "cancelled", "resolved_manually"].includes(task.status)) return { task, ms, problem: scenario.check(task) };
    if (ms > scenario.timeoutMs) return { task, ms, problem: `not finished after ${scenario.timeoutMs} ms (${task.status})` };
    await Bun.sleep(50);
  }
}

const scenarios = taskerCoreScenarios().filter((s) => !values.only || s.label.includes(values.only));
const outcomes = await Promise.all(scenarios.map(async (scenario) => ({ scenario, ...(await run(scenario)) })));
let failed = 0;
let skipped = 0;
for (const { scenario, ms, problem, skipped: wasSkipped } of outcomes) {
  const verdict = wasSkipped ? "SKIP" : problem === null ? "PASS" : "FAIL";
  if (verdict === "FAIL") failed += 1;
  if (verdict === "SKIP") skipped += 1;
  console.log(`${verdict}  ${scenario.label.padEnd(52)} ${String(Math.round(ms)).padStart(6)} ms  ${problem ?? ""}`);
}
console.log(`${scenarios.length - failed - skipped} passed, ${failed} failed, ${skipped} skipped of ${scenarios.length}`);
child.kill("SIGTERM");
await child.exited;
process.exit(failed > 0 ? 1 : 0);
