import { describe, expect, test } from "bun:test";
import { parseClientCommand } from "../../../src/cli/client/clientCommand.ts";
import { stepManualAction, type StepCommand } from "../../../src/cli/client/stepCommands.ts";
import { parseCommandLine } from "../../../src/cli/parseCommandLine.ts";
import { UsageError } from "../../../src/cli/usageError.ts";

const TASK = "01a20866-ffe5-722f-b997-13182a372b09";
const STEP = "01a20866-ffea-71a6-bc73-f2a42fe696bc";

const usageErrorOf = (argv: string[]): string => {
  try {
    parseCommandLine(argv);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error(`no usage error for ${argv.join(" ")}`);
};

const clientCommand = (argv: string[]) => {
  const parsed = parseCommandLine(argv);
  if (parsed.kind !== "client") throw new Error(`not a client command: ${JSON.stringify(parsed)}`);
  return parsed.command;
};

describe("task commands", () => {
  test("task_create_takes_every_task_request_flag_and_is_not_the_global_version_flag", () => {
    const command = clientCommand([
      "task", "create", "--namespace", "linear_workflow", "--name", "mathematical_sequence", "--version", "1.0.0",
      "--context", '{"even_number":6}', "--priority=-5", "--correlation-id", TASK, "--initiator", "ops",
      "--source-system", "cron", "--reason", "nightly", "--tag", "a", "--tag", "b", "--idempotency-key", "k-1",
      "--url", "http://tasker:8080", "--json",
    ]);
    expect(command).toEqual({
      group: "task",
      action: "create",
      globals: { url: "http://tasker:8080", json: true },
      request: {
        namespace: "linear_workflow",
        name: "mathematical_sequence",
        version: "1.0.0",
        priority: -5,
        correlation_id: TASK,
        initiator: "ops",
        source_system: "cron",
        reason: "nightly",
        tags: ["a", "b"],
        idempotency_key: "k-1",
      },
      context: { kind: "inline", value: { even_number: 6 } },
    });
  });

  test("task_create_leaves_out_flags_not_given_and_defaults_the_context_to_an_empty_object", () => {
    const command = clientCommand(["task", "create", "--namespace", "n", "--name", "t", "--version", "1.0.0"]);
    expect(command).toMatchObject({ request: { namespace: "n", name: "t", version: "1.0.0" }, context: { kind: "inline", value: {} } });
    expect(Object.keys((command as { request: object }).request).sort()).toEqual(["name", "namespace", "version"]);
    expect(clientCommand(["task", "create", "--namespace", "n", "--name", "t", "--version", "1.0.0", "--context-file", "ctx.json"]))
      .toMatchObject({ context: { kind: "file", path: "ctx.json" } });
  });

  test("task_create_rejects_missing_names_bad_context_and_both_context_sources", () => {
    expect(usageErrorOf(["task", "create", "--name", "t", "--version", "1.0.0"])).toBe("task create needs --namespace");
    expect(usageErrorOf(["task", "create", "--namespace", "n", "--name", "t", "--version", "1.0.0", "--context", "{oops"]))
      .toContain("--context is not valid JSON");
    expect(usageErrorOf(["task", "create", "--namespace", "n", "--name", "t", "--version", "1.0.0", "--context", "[1]"]))
      .toBe("--context must be a JSON object");
    expect(usageErrorOf(["task", "create", "--namespace", "n", "--name", "t", "--version", "1.0.0", "--context", "{}", "--context-file", "x"]))
      .toBe("give --context or --context-file, not both");
    expect(usageErrorOf(["task", "create", "--namespace", "n", "--name", "t", "--version", "1.0.0", "--priority", "101"]))
      .toContain("--priority must be an integer from -100 to 100");
    expect(usageErrorOf(["task", "create", "--namespace", "n", "--name", "t", "--version", "1.0.0", "--correlation-id", "x"]))
      .toContain("<correlation-id> must be a UUID");
  });

  test("task_get_cancel_watch_and_list_take_their_arguments", () => {
    expect(clientCommand(["task", "get", TASK])).toEqual({ group: "task", action: "get", globals: { url: undefined, json: false }, taskUuid: TASK });
    expect(clientCommand(["task", "cancel", TASK, "--json"])).toMatchObject({ action: "cancel", taskUuid: TASK, globals: { json: true } });
    expect(clientCommand(["task", "watch", TASK])).toMatchObject({ action: "watch", intervalMs: 500, timeoutSeconds: undefined });
    expect(clientCommand(["task", "watch", TASK, "--interval-ms", "100", "--timeout-seconds", "30"]))
      .toMatchObject({ intervalMs: 100, timeoutSeconds: 30 });
    expect(clientCommand(["task", "list", "--namespace", "ns", "--status", "complete", "--page", "2", "--per-page", "10"]))
      .toMatchObject({ action: "list", query: { namespace: "ns", status: "complete", page: 2, per_page: 10 } });
    const uuid = "01a20866-ffe5-722f-b997-13182a372b09";
    expect(
      clientCommand(["task", "list", "--template", "mathematical_sequence", "--tag", "nightly", "--created-after", "2026-12-01T00:00:00", "--created-before", "2026-12-02", "--search", uuid]),
    ).toMatchObject({
      query: { name: "mathematical_sequence", tag: "nightly", created_after: "2026-12-01T00:00:00", created_before: "2026-12-02", uuid },
    });
    expect(usageErrorOf(["task", "get"])).toBe("task get needs <task_uuid>");
    expect(usageErrorOf(["task", "get", "not-a-uuid"])).toBe('<task_uuid> must be a UUID; got "not-a-uuid"');
    expect(usageErrorOf(["task", "get", TASK, "extra"])).toBe('unexpected argument "extra" after task get');
    expect(usageErrorOf(["task", "list", "--per-page", "500"])).toContain("--per-page must be an integer from 1 to 100");
    expect(usageErrorOf(["task", "frobnicate"])).toContain('unknown task command "frobnicate"');
    expect(usageErrorOf(["task", "get", TASK, "--frobnicate"])).toContain("--frobnicate");
  });

  test("a_group_without_an_action_or_with_help_asks_for_help", () => {
    expect(parseCommandLine(["task"])).toEqual({ kind: "help" });
    expect(parseCommandLine(["step", "--help"])).toEqual({ kind: "help" });
    expect(parseCommandLine(["task", "create", "-h"])).toEqual({ kind: "help" });
  });
});

describe("step commands", () => {
  test("step_list_get_and_explain_take_task_and_step_uuids", () => {
    expect(clientCommand(["step", "list", TASK])).toMatchObject({ group: "step", action: "list", taskUuid: TASK });
    expect(clientCommand(["step", "get", TASK, STEP])).toMatchObject({ action: "get", taskUuid: TASK, stepUuid: STEP });
    expect(clientCommand(["step", "explain", TASK, STEP])).toMatchObject({ action: "explain", step: { uuid: STEP } });
    expect(clientCommand(["step", "explain", TASK, "finance_review"])).toMatchObject({ action: "explain", step: { name: "finance_review" } });
    expect(usageErrorOf(["step", "explain", TASK, "Not A Step"])).toBe(`<step_uuid|step_name> must be a step's UUID or name; got "Not A Step"`);
    expect(usageErrorOf(["step", "get", TASK])).toBe("step get needs <task_uuid> <step_uuid>");
  });

  test("step_actions_become_the_documented_step_manual_action_bodies", () => {
    const body = (argv: string[], by = "ops@example.com") => {
      const command = clientCommand(argv) as Extract<StepCommand, { request: unknown }>;
      return stepManualAction(command.request, command.by ?? by);
    };
    expect(body(["step", "retry", TASK, STEP, "--reason", "fixed upstream"])).toEqual({
      action_type: "reset_for_retry", reason: "fixed upstream", reset_by: "ops@example.com",
    });
    expect(body(["step", "resolve", TASK, STEP, "--reason", "done by hand", "--by", "ana"])).toEqual({
      action_type: "resolve_manually", reason: "done by hand", resolved_by: "ana",
    });
    expect(body(["step", "complete", TASK, STEP, "--reason", "r", "--result", '{"value":69}', "--metadata", '{"ticket":"T-1"}'])).toEqual({
      action_type: "complete_manually",
      reason: "r",
      completed_by: "ops@example.com",
      completion_data: { result: { value: 69 }, metadata: { ticket: "T-1" } },
    });
    expect(body(["step", "complete", TASK, STEP, "--reason", "r", "--result", "42"])).toEqual({
      action_type: "complete_manually", reason: "r", completed_by: "ops@example.com", completion_data: { result: 42 },
    });
  });

  test("step_actions_need_a_reason_and_complete_needs_a_json_result", () => {
    expect(usageErrorOf(["step", "retry", TASK, STEP])).toBe("step retry needs --reason");
    expect(usageErrorOf(["step", "complete", TASK, STEP, "--reason", "r"])).toBe("step complete needs --result");
    expect(usageErrorOf(["step", "complete", TASK, STEP, "--reason", "r", "--result", "{"])).toContain("--result is not valid JSON");
    expect(usageErrorOf(["step", "retry", TASK, STEP, "--reason", "r", "--result", "1"])).toContain("--result");
  });
});

describe("template, dlq and auth commands", () => {
  test("template_list_and_get", () => {
    expect(clientCommand(["template", "list", "--namespace", "linear_workflow"])).toMatchObject({ action: "list", namespace: "linear_workflow" });
    expect(clientCommand(["template", "get", "linear_workflow", "mathematical_sequence", "1.0.0"])).toMatchObject({
      action: "get", namespace: "linear_workflow", name: "mathematical_sequence", version: "1.0.0",
    });
    expect(usageErrorOf(["template", "get", "linear_workflow"])).toBe("template get needs <namespace> <name> <version>");
  });

  test("dlq_statuses_are_sent_in_pascal_case_whichever_spelling_is_given", () => {
    expect(clientCommand(["dlq", "list", "--status", "pending", "--limit", "10", "--offset", "20"])).toMatchObject({
      query: { resolution_status: "Pending", limit: 10, offset: 20 },
    });
    expect(clientCommand(["dlq", "resolve", TASK, "--status", "permanently_failed", "--notes", "n"])).toMatchObject({
      dlqEntryUuid: TASK, status: "PermanentlyFailed", notes: "n",
    });
    expect(clientCommand(["dlq", "resolve", TASK])).toMatchObject({ status: "ManuallyResolved", notes: undefined, by: undefined });
    expect(usageErrorOf(["dlq", "list", "--status", "Gone"])).toContain("--status must be one of Pending, ManuallyResolved");
  });

  test("auth_commands_check_algorithm_and_permissions_and_take_no_url", () => {
    expect(clientCommand(["auth", "generate-keys"])).toEqual({
      group: "auth", action: "generate-keys", json: false, outDir: ".", algorithm: "RS256", force: false,
    });
    expect(clientCommand(["auth", "generate-keys", "--out", "keys", "--algorithm", "ES256", "--force"]))
      .toMatchObject({ outDir: "keys", algorithm: "ES256", force: true });
    expect(clientCommand(["auth", "generate-token", "--private-key", "k.pem", "--permissions", "tasks:create, tasks:read,steps:*"])).toEqual({
      group: "auth",
      action: "generate-token",
      json: false,
      privateKeyPath: "k.pem",
      permissions: ["tasks:create", "tasks:read", "steps:*"],
      subject: "tasker-cli",
      issuer: "tasker-core",
      audience: "tasker-api",
      expiresInHours: 24,
    });
    expect(usageErrorOf(["auth", "generate-keys", "--algorithm", "HS256"])).toContain("--algorithm must be one of RS256, ES256");
    expect(usageErrorOf(["auth", "generate-token", "--private-key", "k", "--permissions", "everything"])).toContain('"everything" is not resource:action');
    expect(usageErrorOf(["auth", "generate-token", "--permissions", "tasks:read"])).toBe("auth generate-token needs --private-key");
    expect(usageErrorOf(["auth", "generate-keys", "--url", "http://x"])).toContain("--url");
  });

  test("parse_client_command_directly_for_each_group", () => {
    expect(parseClientCommand("dlq", [])).toEqual({ kind: "help" });
    expect(parseClientCommand("template", ["list"])).toMatchObject({ kind: "client", command: { group: "template" } });
  });
});
