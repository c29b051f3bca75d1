/**
 * Namespaces, template names, queue names and step names carrying SQL or path characters
 * are refused where they enter: the HTTP edge (400 naming the field, before any query runs),
 * the queue client (before a queue name becomes an identifier) and template loading.
 * Template files escaping the handlers directory (symlinks, `..`) are covered by
 * test/unit/templates/loadTemplates.test.ts.
 */
import { afterAll, describe, expect, test } from "bun:test";
import type { Sql } from "postgres";
import { createAuthenticator } from "../../../src/http/auth/createAuthenticator.ts";
import { createHttpApp } from "../../../src/http/createHttpApp.ts";
import { createRoleRoutes } from "../../../src/http/createRoleRoutes.ts";
import { CONFIG_DEFAULTS } from "../../../src/config/index.ts";
import { ValidationError } from "../../../src/lib/errors.ts";
import { createQueueClient } from "../../../src/queue/queueClient.ts";
import { workerQueueName } from "../../../src/queue/queueNames.ts";
import { silentLogger } from "../../../src/telemetry/logger.ts";
import { disabledTelemetry } from "../../../src/telemetry/telemetry.ts";
import { loadTemplates, TemplateError } from "../../../src/templates/index.ts";
import { errorOf, writeTree } from "../templates/writeTree.ts";

/** Any query would throw: a request that reaches the database fails the test as a 500. */
const noDatabase = new Proxy(() => undefined, {
  apply: () => {
    throw new Error("the database was reached");
  },
  get: () => {
    throw new Error("the database was reached");
  },
}) as unknown as Sql;

const app = createHttpApp({
  logger: silentLogger,
  telemetry: disabledTelemetry(),
  web: CONFIG_DEFAULTS.web,
  authenticator: createAuthenticator(CONFIG_DEFAULTS.web.auth),
  routes: createRoleRoutes({
    role: "combined",
    sql: noDatabase,
    createTask: () => () => Promise.reject(new Error("task creation was reached")),
    operator: () => undefined,
    namespaces: () => undefined,
    renderPrometheus: () => Promise.resolve(""),
    health: { lifecycleState: () => "running", checks: [], info: () => ({}) },
  }),
  openApi: { title: "t", version: "0", description: "d" },
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; field: unknown; code: unknown }> {
  const response = await app.request(path, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
  });
  const json = (await response.json()) as { error?: { field?: unknown; code?: unknown } };
  return { status: response.status, field: json.error?.field, code: json.error?.code };
}

const HOSTILE = ["x'; DROP TABLE tasker.tasks; --", "../../etc/passwd", "a/b", "a.b", "worker_x_queue;", "Payments", "a b", "a\u0000b", "", "n".repeat(65)];
const task = { namespace: "payments", name: "charge", version: "1.0.0", context: {} };

describe("names at the HTTP edge", () => {
  test("post_tasks_rejects_hostile_namespaces_and_template_names_naming_the_field", async () => {
    for (const bad of HOSTILE) {
      expect([bad, await call("POST", "/v1/tasks", { ...task, namespace: bad })]).toEqual([bad, { status: 400, field: "namespace", code: "BAD_REQUEST" }]);
      expect([bad, await call("POST", "/v1/tasks", { ...task, name: bad })]).toEqual([bad, { status: 400, field: "name", code: "BAD_REQUEST" }]);
    }
    // Longer than a queue name can hold (worker_<ns>_queue within 47 characters).
    expect(await call("POST", "/v1/tasks", { ...task, namespace: "n".repeat(35) })).toMatchObject({ status: 400, field: "namespace" });
  });

  test("template_paths_and_namespace_filters_reject_hostile_names_naming_the_field", async () => {
    for (const bad of HOSTILE.filter((b) => b !== "")) {
      const segment = encodeURIComponent(bad);
      expect([bad, await call("GET", `/v1/templates/${segment}/charge/1.0.0`)]).toEqual([bad, { status: 400, field: "namespace", code: "BAD_REQUEST" }]);
      expect([bad, await call("GET", `/v1/templates/payments/${segment}/1.0.0`)]).toEqual([bad, { status: 400, field: "name", code: "BAD_REQUEST" }]);
      expect([bad, await call("GET", `/v1/templates/payments/charge/${segment}`)]).toEqual([bad, { status: 400, field: "version", code: "BAD_REQUEST" }]);
      expect([bad, await call("GET", `/v1/templates?namespace=${segment}`)]).toEqual([bad, { status: 400, field: "namespace", code: "BAD_REQUEST" }]);
      expect([bad, await call("GET", `/v1/tasks?namespace=${segment}`)]).toEqual([bad, { status: 400, field: "namespace", code: "BAD_REQUEST" }]);
    }
  });

  test("text_postgresql_cannot_store_is_a_400_naming_the_field_not_a_500", async () => {
    expect(await call("POST", "/v1/tasks", { ...task, initiator: "a\u0000b" })).toEqual({ status: 400, field: "initiator", code: "BAD_REQUEST" });
    expect(await call("POST", "/v1/tasks", { ...task, context: { note: "\ud800" } })).toEqual({ status: 400, field: "context.note", code: "BAD_REQUEST" });
    expect(await call("GET", "/v1/tasks?initiator=a%00b")).toEqual({ status: 400, field: "initiator", code: "BAD_REQUEST" });
    const deep = `{"namespace":"payments","name":"charge","version":"1.0.0","context":{"d":${"[".repeat(129)}${"]".repeat(129)}}}`;
    const response = await app.request("/v1/tasks", { method: "POST", body: deep, headers: { "content-type": "application/json" } });
    expect(response.status).toBe(400);
    expect(await call("POST", "/v1/tasks", { ...task, context: [1, 2] })).toEqual({ status: 400, field: "context", code: "BAD_REQUEST" });
  });
});

describe("names in the queue client and template loading", () => {
  test("queue_names_are_validated_before_they_become_identifiers", async () => {
    const queues = createQueueClient(noDatabase);
    for (const bad of ["x'; DROP TABLE pgmq.meta; --", "../q", "q.r", "Q", ""]) {
      expect(await errorOf(() => queues.metrics(bad))).toBeInstanceOf(ValidationError);
      expect(await errorOf(() => queues.create(bad))).toBeInstanceOf(ValidationError);
      expect(await errorOf(() => workerQueueName(bad))).toBeInstanceOf(ValidationError);
    }
  });

  const trees: Array<ReturnType<typeof writeTree>> = [];
  afterAll(() => {
    for (const t of trees) t.remove();
  });

  test("template_step_and_namespace_names_with_sql_or_path_characters_are_rejected_when_loading", async () => {
    const template = (name: string, step: string, namespace = "payments"): string =>
      `name: "${name}"\nnamespace_name: "${namespace}"\nversion: 1.0.0\nsteps:\n  - name: "${step}"\n    handler: { callable: only_step }\n`;
    const tree = writeTree({
      "handlers/payments/sql_name.yaml": template("charge'; DROP TABLE x; --", "only_step"),
      "handlers/payments/path_step.yaml": template("charge", "../../etc/passwd"),
      "handlers/payments/dot_step.yaml": template("refund", "a.b"),
    });
    trees.push(tree);
    const error = await errorOf(() => loadTemplates(tree.path("handlers")));
    expect(error).toBeInstanceOf(TemplateError);
    const messages = (error as TemplateError).issues.map((i) => `${i.file.split("/").pop()}: ${i.message}`).join("\n");
    expect(messages).toContain("sql_name.yaml: template name");
    expect(messages).toContain("path_step.yaml: step name");
    expect(messages).toContain("dot_step.yaml: step name");

    // A namespace folder named like SQL is not a namespace; asked for by name, it is an error.
    const folder = writeTree({ "handlers/bad;name/t.yaml": template("charge", "only_step", "bad;name") });
    trees.push(folder);
    expect((await loadTemplates(folder.path("handlers"))).templates).toEqual([]);
    expect(await errorOf(() => loadTemplates(folder.path("handlers"), ["bad;name"]))).toBeInstanceOf(Error);
  });
});
