import { describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeProtectedHeader, importSPKI, jwtVerify } from "jose";
import { PRIVATE_KEY_FILE, PUBLIC_KEY_FILE } from "../../../src/cli/client/authCommands.ts";
import { runClientCommand, type ClientIo } from "../../../src/cli/client/runClientCommand.ts";
import { parseCommandLine } from "../../../src/cli/parseCommandLine.ts";

const TASK = "01a20866-ffe5-722f-b997-13182a372b09";
const STEP = "01a20866-ffea-71a6-bc73-f2a42fe696bc";

interface Call {
  url: string;
  method: string;
  headers: Headers;
  body: unknown;
}

/** Runs argv as the CLI would, against a fetch that answers `status`/`body` and records calls. */
async function run(argv: string[], options: { status?: number; body?: unknown; env?: ClientIo["env"]; cwd?: string } = {}) {
  const calls: Call[] = [];
  let stdout = "";
  let stderr = "";
  const parsed = parseCommandLine(argv);
  if (parsed.kind !== "client") throw new Error("not a client command");
  const code = await runClientCommand(parsed.command, {
    env: options.env ?? {},
    cwd: options.cwd ?? "/",
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    fetch: ((input: string | URL | Request, init?: RequestInit) => {
      calls.push({
        url: typeof input === "string" ? input : input instanceof URL ? input.href : input.url,
        method: init?.method ?? "GET",
        headers: new Headers(init?.headers),
        body: typeof init?.body === "string" ? (JSON.parse(init.body) as unknown) : undefined,
      });
      return Promise.resolve(Response.json(options.body ?? {}, { status: options.status ?? 200 }));
    }) as typeof fetch,
  });
  return { code, stdout, stderr, calls };
}

const STEP_RESPONSE = { step_uuid: STEP, task_uuid: TASK, name: "linear_step_2", current_state: "pending", attempts: 0, max_attempts: 3 };

describe("runClientCommand", () => {
  test("uses_url_flag_over_tasker_url_over_the_default_and_the_credentials_from_the_environment", async () => {
    const byDefault = await run(["template", "list"], { body: { namespaces: [], templates: [], total_count: 0 } });
    expect(byDefault.calls[0]?.url).toBe("http://127.0.0.1:8080/v1/templates");
    const env = { TASKER_URL: "http://from-env:9000", TASKER_API_KEY: "secret", TASKER_API_KEY_HEADER: "X-Key" };
    const fromEnv = await run(["template", "list", "--namespace", "ns"], { env, body: { templates: [] } });
    expect(fromEnv.calls[0]?.url).toBe("http://from-env:9000/v1/templates?namespace=ns");
    expect(fromEnv.calls[0]?.headers.get("x-key")).toBe("secret");
    const fromFlag = await run(["template", "list", "--url", "https://flag"], { env: { ...env, TASKER_AUTH_TOKEN: "jwt" }, body: { templates: [] } });
    expect(fromFlag.calls[0]?.url).toBe("https://flag/v1/templates");
    expect(fromFlag.calls[0]?.headers.get("authorization")).toBe("Bearer jwt");
  });

  test("a_bad_server_url_is_a_usage_error_with_exit_code_2", async () => {
    const result = await run(["task", "get", TASK], { env: { TASKER_URL: "ftp://x" } });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('tasker: TASKER_URL must be http:// or https://; got "ftp://x"\n');
    expect(result.calls).toEqual([]);
  });

  test("an_api_error_exits_1_printing_code_message_and_status_and_nothing_on_stdout", async () => {
    const result = await run(["task", "get", TASK, "--json"], { status: 404, body: { error: { code: "NOT_FOUND", message: `no task ${TASK}` } } });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`tasker: NOT_FOUND: no task ${TASK} (HTTP 404)\n`);
    expect(result.stdout).toBe("");
  });

  test("json_prints_the_api_response_as_it_came", async () => {
    const body = { task_uuid: TASK, status: "complete", steps: [], extra_field: { kept: true } };
    const result = await run(["task", "get", TASK, "--json"], { body });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(body);
  });

  test("task_create_reads_the_context_file_relative_to_the_working_directory", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tasker-cli-"));
    try {
      await writeFile(join(dir, "ctx.json"), '{"even_number": 6}');
      const args = ["task", "create", "--namespace", "linear_workflow", "--name", "mathematical_sequence", "--version", "1.0.0"];
      const ok = await run([...args, "--context-file", "ctx.json", "--tag", "x"], { cwd: dir, body: { task_uuid: TASK, status: "pending", steps: [] } });
      expect(ok.code).toBe(0);
      expect(ok.calls[0]?.method).toBe("POST");
      expect(ok.calls[0]?.body).toEqual({
        namespace: "linear_workflow", name: "mathematical_sequence", version: "1.0.0", tags: ["x"], context: { even_number: 6 },
      });
      expect(ok.stdout).toContain(`created task ${TASK}`);

      await writeFile(join(dir, "list.json"), "[1, 2]");
      const notObject = await run([...args, "--context-file", "list.json"], { cwd: dir });
      expect([notObject.code, notObject.calls.length]).toEqual([2, 0]);
      expect(notObject.stderr).toContain("must hold a JSON object");
      const missing = await run([...args, "--context-file", "nope.json"], { cwd: dir });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain("cannot read --context-file");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("step_actions_patch_the_step_with_the_actor_from_by_or_user", async () => {
    const retry = await run(["step", "retry", TASK, STEP, "--reason", "upstream fixed"], { env: { USER: "ana" }, body: STEP_RESPONSE });
    expect(retry.code).toBe(0);
    expect(retry.calls[0]).toMatchObject({
      method: "PATCH",
      url: `http://127.0.0.1:8080/v1/tasks/${TASK}/workflow_steps/${STEP}`,
      body: { action_type: "reset_for_retry", reason: "upstream fixed", reset_by: "ana" },
    });
    expect(retry.stdout).toBe(`reset for retry: step linear_step_2 (${STEP}); it is now pending\n`);
    const explain = await run(["step", "explain", TASK, STEP], {
      body: { step_uuid: STEP, state: "pending", running: false, reasons: [{ code: "task_blocked", message: "blocked" }] },
    });
    expect(explain.calls[0]?.url).toEndWith(`/workflow_steps/${STEP}/explain`);
    expect(explain.stdout).toContain("  - task_blocked: blocked");
    // By name: a template step the task does not have is explained from the task's absent steps.
    const absent = await run(["step", "explain", TASK, "finance_review"], {
      body: { task_uuid: TASK, steps: [], absent_steps: [{ name: "finance_review", type: "standard", code: "not_chosen", reason: "not chosen by routing_decision" }] },
    });
    expect(absent.calls[0]?.url).toEndWith(`/v1/tasks/${TASK}`);
    expect(absent.stdout).toBe("step finance_review is not in this task\n  - not_chosen: not chosen by routing_decision\n");
  });

  test("dlq_resolve_patches_the_entry", async () => {
    const result = await run(["dlq", "resolve", TASK, "--notes", "replayed", "--by", "bo"], {
      body: { success: true, message: "DLQ entry updated", dlq_entry_uuid: TASK },
    });
    expect(result.calls[0]).toMatchObject({
      method: "PATCH",
      url: `http://127.0.0.1:8080/v1/dlq/entry/${TASK}`,
      body: { resolution_status: "ManuallyResolved", resolution_notes: "replayed", resolved_by: "bo" },
    });
    expect(result.stdout).toBe(`DLQ entry updated: DLQ entry ${TASK} is now ManuallyResolved\n`);
  });
});

describe("auth commands", () => {
  for (const algorithm of ["RS256", "ES256"] as const) {
    test(`generate_keys_and_generate_token_make_a_${algorithm}_token_the_public_key_verifies`, async () => {
      const dir = await mkdtemp(join(tmpdir(), "tasker-auth-"));
      try {
        const keys = await run(["auth", "generate-keys", "--out", "keys", "--algorithm", algorithm], { cwd: dir });
        expect(keys.code).toBe(0);
        expect(keys.stdout).toContain(join(dir, "keys", PRIVATE_KEY_FILE));
        expect((await stat(join(dir, "keys", PRIVATE_KEY_FILE))).mode & 0o777).toBe(0o600);

        const again = await run(["auth", "generate-keys", "--out", "keys"], { cwd: dir });
        expect(again.code).toBe(1);
        expect(again.stderr).toContain("FILE_EXISTS");

        const token = await run([
          "auth", "generate-token", "--private-key", `keys/${PRIVATE_KEY_FILE}`, "--permissions", "tasks:create,tasks:read",
          "--subject", "ci", "--expires-in-hours", "2",
        ], { cwd: dir });
        expect(token.code).toBe(0);
        const jwt = token.stdout.trim();
        expect(decodeProtectedHeader(jwt).alg).toBe(algorithm);
        const publicKey = await importSPKI(await readFile(join(dir, "keys", PUBLIC_KEY_FILE), "utf8"), algorithm);
        const { payload } = await jwtVerify(jwt, publicKey, { issuer: "tasker-core", audience: "tasker-api" });
        expect(payload.sub).toBe("ci");
        expect(payload["permissions"]).toEqual(["tasks:create", "tasks:read"]);
        expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(2 * 3600);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  test("generate_token_refuses_a_file_that_is_not_a_private_key", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tasker-auth-"));
    try {
      await writeFile(join(dir, "k.pem"), "not a key");
      const result = await run(["auth", "generate-token", "--private-key", "k.pem", "--permissions", "tasks:read"], { cwd: dir });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("INVALID_KEY");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
