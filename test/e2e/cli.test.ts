/**
 * The client commands of the compiled binary against a running combined
 * process: create, watch, get, errors and exit codes, and the development auth
 * helpers. Sources are never imported here.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importSPKI, jwtVerify } from "jose";
import { REPO_ROOT, runTasker, spawnTasker, type TaskerProcess } from "../support/binary.ts";
import { createEmptyDatabase } from "../support/database.ts";
import { freePort } from "../support/ports.ts";
import { afterAll, beforeAll, describe, expect, test } from "../support/test.ts";
import { waitFor } from "../support/waitFor.ts";

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const SEQUENCE = ["--namespace", "linear_workflow", "--name", "mathematical_sequence", "--version", "1.0.0"];
const STEP_NAMES = ["linear_step_1", "linear_step_2", "linear_step_3", "linear_step_4"];

let db: Awaited<ReturnType<typeof createEmptyDatabase>>;
let server: TaskerProcess;
let url: string;

/** The binary as a client of the server under test (TASKER_URL set, nothing else). */
const cli = (args: string[], env: Record<string, string> = {}) => runTasker(args, { env: { TASKER_URL: url, ...env } });

async function createSequenceTask(evenNumber = 6): Promise<string> {
  const created = await cli(["task", "create", ...SEQUENCE, "--context", JSON.stringify({ even_number: evenNumber })]);
  expect(created.stderr).toBe("");
  expect(created.code).toBe(0);
  const uuid = /^created task (\S+)$/m.exec(created.stdout)?.[1];
  expect(uuid).toMatch(UUID);
  return uuid!;
}

beforeAll(async () => {
  db = await createEmptyDatabase("e2e_cli");
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  server = spawnTasker(["--role", "combined", "--migrate", "--port", String(port)], {
    env: { DATABASE_URL: db.url, TASKER_ENV: "test", TASKER_TELEMETRY__LOG_FORMAT: "json" },
  });
  await waitFor(async () => (await fetch(`${url}/health/ready`)).status === 200, {
    timeoutMs: 30_000,
    description: () => `the server to be ready; its stderr:\n${server.stderr().slice(-2000)}`,
  });
});

afterAll(async () => {
  server.kill("SIGTERM");
  await server.exited;
  await db.drop();
});

describe("tasker task", () => {
  test("creates_a_task_watches_it_to_completion_and_gets_it_as_json", async () => {
    const taskUuid = await createSequenceTask();

    const watched = await cli(["task", "watch", taskUuid, "--interval-ms", "100", "--timeout-seconds", "60"]);
    expect(watched.stderr).toBe("");
    expect(watched.code).toBe(0);
    const lines = watched.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^\S+Z {2}task \w+$/);
    for (const name of STEP_NAMES) expect(watched.stdout).toMatch(new RegExp(`step ${name} (\\w+ -> )?\\w+`));
    expect(watched.stdout).toMatch(/task (\w+ -> )?complete\n/);
    expect(lines.at(-1)).toBe(`task ${taskUuid} is complete: 4/4 steps complete`);

    const got = await cli(["task", "get", taskUuid, "--json"]);
    expect(got.code).toBe(0);
    const task = JSON.parse(got.stdout) as { task_uuid: string; status: string; steps: Array<{ name: string; results: { result: unknown } }> };
    expect(task.task_uuid).toBe(taskUuid);
    expect(task.status).toBe("complete");
    expect(task.steps.map((s) => s.name)).toEqual(STEP_NAMES);
    expect(task.steps.at(-1)?.results.result).toEqual({ value: 69 });

    const human = await cli(["task", "get", taskUuid]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/status:\s+complete \(all_complete\)/);
    expect(human.stdout).toMatch(/linear_step_4\s+complete\s+1\/\d+\s+linear_step_3\s+-\s+\S+\s+\{"value":69\}/);
  });

  test("watch_json_prints_one_parseable_event_per_line_and_ends_with_the_task", async () => {
    const taskUuid = await createSequenceTask(8);
    const watched = await cli(["task", "watch", taskUuid, "--json", "--interval-ms", "100"]);
    expect(watched.code).toBe(0);
    const events = watched.stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events[0]).toMatchObject({ event: "task_state", task_uuid: taskUuid });
    expect(events.at(-1)).toMatchObject({ event: "finished", status: "complete", exit_code: 0, task: { task_uuid: taskUuid } });
  });

  test("a_rejected_request_exits_1_with_the_error_code_and_a_bad_command_line_exits_2", async () => {
    const invalid = await cli(["task", "create", ...SEQUENCE, "--context", '{"even_number":7}']);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toBe("");
    expect(invalid.stderr).toMatch(/^tasker: VALIDATION_FAILED: .*even_number.* \(HTTP 400\)\n$/);

    const unknown = await cli(["task", "create", "--namespace", "linear_workflow", "--name", "no_such_template", "--version", "1.0.0"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("NOT_FOUND");
    expect(unknown.stderr).toContain("(HTTP 404)");

    const missing = await cli(["task", "get", "01a20866-ffe5-722f-b997-13182a372b09", "--json"]);
    expect([missing.code, missing.stdout]).toEqual([1, ""]);
    expect(missing.stderr).toContain("NOT_FOUND");

    const unreachable = await runTasker(["task", "get", "01a20866-ffe5-722f-b997-13182a372b09", "--url", "http://127.0.0.1:1"]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain("NETWORK_ERROR");

    const usage = await cli(["task", "create", "--name", "x"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("task create needs --namespace");
  });

  test("lists_tasks_and_cancels_one", async () => {
    const taskUuid = await createSequenceTask(10);
    const listed = await cli(["task", "list", "--namespace", "linear_workflow", "--json"]);
    expect(listed.code).toBe(0);
    const list = JSON.parse(listed.stdout) as { tasks: Array<{ task_uuid: string }> };
    expect(list.tasks.map((t) => t.task_uuid)).toContain(taskUuid);
    const table = await cli(["task", "list"]);
    expect(table.stdout).toContain(taskUuid);
    // A finished task cannot be cancelled: 400 from the server, exit 1 here.
    await cli(["task", "watch", taskUuid]);
    const cancel = await cli(["task", "cancel", taskUuid]);
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toContain("(HTTP 400)");
  });
});

describe("tasker step, template and dlq", () => {
  test("step_list_prints_the_four_steps_and_get_and_explain_describe_one", async () => {
    const taskUuid = await createSequenceTask(12);
    expect((await cli(["task", "watch", taskUuid])).code).toBe(0);
    const listed = await cli(["step", "list", taskUuid]);
    expect(listed.code).toBe(0);
    const rows = listed.stdout.trimEnd().split("\n").slice(1);
    expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(STEP_NAMES);
    for (const row of rows) expect(row).toMatch(/\scomplete\s/);
    const steps = JSON.parse((await cli(["step", "list", taskUuid, "--json"])).stdout) as Array<{ step_uuid: string; name: string }>;
    const last = steps.find((s) => s.name === "linear_step_4")!;
    const got = await cli(["step", "get", taskUuid, last.step_uuid]);
    expect(got.stdout).toContain('"value": 231'); // (12² + 10) × 3 / 2
    const explained = await cli(["step", "explain", taskUuid, last.step_uuid]);
    expect(explained.stdout).toContain("step_complete");
  });

  test("template_list_shows_the_registered_templates_and_dlq_list_is_empty", async () => {
    const templates = await cli(["template", "list", "--namespace", "linear_workflow"]);
    expect(templates.code).toBe(0);
    expect(templates.stdout).toMatch(/linear_workflow\s+mathematical_sequence\s+1\.0\.0\s+4/);
    const detail = await cli(["template", "get", "linear_workflow", "mathematical_sequence", "1.0.0"]);
    expect(detail.stdout).toContain("linear_step_4");
    const dlq = await cli(["dlq", "list"]);
    expect([dlq.code, dlq.stdout]).toEqual([0, "no DLQ entries\n"]);
  });
});

describe("tasker auth", () => {
  test("generate_keys_and_generate_token_make_a_token_that_the_public_key_verifies", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tasker-e2e-auth-"));
    try {
      const keys = await runTasker(["auth", "generate-keys", "--out", dir]);
      expect(keys.code).toBe(0);
      expect(keys.stdout).toContain(join(dir, "jwt-public-key.pem"));
      const token = await runTasker([
        "auth", "generate-token", "--private-key", join(dir, "jwt-private-key.pem"),
        "--permissions", "tasks:create,tasks:read", "--subject", "e2e",
      ]);
      expect(token.stderr).toBe("");
      expect(token.code).toBe(0);
      const publicKey = await importSPKI(await readFile(join(dir, "jwt-public-key.pem"), "utf8"), "RS256");
      const { payload } = await jwtVerify(token.stdout.trim(), publicKey, { issuer: "tasker-core", audience: "tasker-api" });
      expect(payload.sub).toBe("e2e");
      expect(payload["permissions"]).toEqual(["tasks:create", "tasks:read"]);
      expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(24 * 3600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("tasker types", () => {
  test("lets_tsc_check_native_and_tasker_core_handler_files_outside_the_repository", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tasker-e2e-types-"));
    try {
      const handlers = join(dir, "handlers");
      await mkdir(join(handlers, "shop"), { recursive: true });
      await writeFile(
        join(handlers, "shop", "charge.ts"),
        `import { PermanentError, type StepContext } from "tasker";\nexport default function charge(ctx: StepContext) {\n  if (!ctx.context["amount"]) throw new PermanentError("no amount", { errorType: "invalid" });\n  return { charged: ctx.step.attempt, key: process.env["SHOP_KEY"] ?? null };\n}\n`,
      );
      await writeFile(
        join(handlers, "shop", "legacy.ts"),
        `import { StepHandler, type StepContext, type StepHandlerResult } from "@tasker-systems/tasker";\nexport class Legacy extends StepHandler {\n  static handlerName = "Shop.Legacy";\n  async call(context: StepContext): Promise<StepHandlerResult> {\n    return this.success({ n: context.getInputOr("amount", 1), limit: context.getConfig("limit") });\n  }\n}\n`,
      );
      const written = await runTasker(["types", "--handlers", handlers]);
      expect(written.code).toBe(0);
      expect(written.stdout).toContain(join(handlers, "tsconfig.json"));
      const tsc = (cwd: string) => Bun.spawnSync([join(REPO_ROOT, "node_modules", ".bin", "tsc"), "-p", cwd], { stdout: "pipe" });
      const ok = tsc(handlers);
      expect(ok.stdout.toString()).toBe("");
      expect(ok.exitCode).toBe(0);
      // The declarations are real: a wrong call is an error naming the file.
      await writeFile(join(handlers, "shop", "wrong.ts"), `import { StepHandlerResult } from "@tasker-systems/tasker";\nexport const r = StepHandlerResult.success("not an object");\n`);
      const wrong = tsc(handlers);
      expect(wrong.exitCode).not.toBe(0);
      expect(wrong.stdout.toString()).toContain("shop/wrong.ts");
      // A second run keeps the user's tsconfig and says what to add.
      const again = await runTasker(["types", "--handlers", handlers]);
      expect(again.stdout).toContain(`"@tasker-systems/tasker": ["./.tasker/types/sdk/compat/index.d.ts"]`);

      // The tsconfig's paths are for editors: the binary still serves both modules to the handlers.
      await rm(join(handlers, "shop", "wrong.ts"));
      await writeFile(
        join(handlers, "shop", "order.yaml"),
        `name: order\nversion: 1.0.0\nsteps:\n  - name: charge\n    handler: { callable: charge }\n  - name: legacy\n    dependencies: [charge]\n    handler: { callable: Shop.Legacy, initialization: { limit: 7 } }\n`,
      );
      const workerPort = await freePort();
      const worker = spawnTasker(["--role", "worker", "--namespace", "shop", "--handlers", handlers, "--port", String(workerPort)], {
        env: { DATABASE_URL: db.url, TASKER_ENV: "test", TASKER_TELEMETRY__LOG_FORMAT: "json" },
      });
      try {
        await waitFor(async () => (await fetch(`http://127.0.0.1:${workerPort}/health/ready`).catch(() => null))?.status === 200, {
          timeoutMs: 30_000,
          description: () => `the worker to be ready; its stderr:\n${worker.stderr().slice(-2000)}`,
        });
        const created = await cli(["task", "create", "--namespace", "shop", "--name", "order", "--version", "1.0.0", "--context", '{"amount":5}']);
        expect(created.stderr).toBe("");
        const uuid = /^created task (\S+)$/m.exec(created.stdout)?.[1];
        const watched = await cli(["task", "watch", uuid!, "--interval-ms", "100", "--timeout-seconds", "60"]);
        expect(watched.code).toBe(0);
        const task = JSON.parse((await cli(["task", "get", uuid!, "--json"])).stdout) as { steps: Array<{ name: string; results: { result: unknown } }> };
        expect(task.steps.find((st) => st.name === "legacy")?.results.result).toEqual({ n: 5, limit: 7 });
      } finally {
        worker.kill("SIGTERM");
        await worker.exited;
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
