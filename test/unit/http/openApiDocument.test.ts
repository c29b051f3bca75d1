import { describe, expect, test } from "bun:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import type { Sql } from "postgres";
import { createAuthenticator } from "../../../src/http/auth/createAuthenticator.ts";
import { createHttpApp } from "../../../src/http/createHttpApp.ts";
import { createRoleRoutes } from "../../../src/http/createRoleRoutes.ts";
import { CONFIG_DEFAULTS } from "../../../src/config/index.ts";
import { silentLogger } from "../../../src/telemetry/logger.ts";
import { disabledTelemetry } from "../../../src/telemetry/telemetry.ts";

// The routes never query in this test; the document is built from their specs alone.
const sql = (() => {
  throw new Error("no database in this test");
}) as unknown as Sql;

function appFor(role: "orchestration" | "worker" | "combined") {
  const routes = createRoleRoutes({
    role,
    sql,
    createTask: () => undefined,
    operator: () => undefined,
    namespaces: () => [],
    renderPrometheus: () => Promise.resolve(""),
    health: { lifecycleState: () => "running", checks: [], info: () => ({}) },
  });
  return createHttpApp({
    logger: silentLogger,
    telemetry: disabledTelemetry(),
    web: CONFIG_DEFAULTS.web,
    authenticator: createAuthenticator(CONFIG_DEFAULTS.web.auth),
    routes,
    openApi: { title: "tasker", version: "1.0.0", description: "test", apiKeyHeader: "X-API-Key" },
  });
}

type OpenApi = { openapi: string; paths: Record<string, Record<string, { security: unknown[]; "x-permission"?: string; responses: Record<string, unknown> }>> };

async function documentOf(app: ReturnType<typeof appFor>): Promise<OpenApi> {
  const response = await app.request("/openapi.json");
  expect(response.status).toBe(200);
  return (await response.json()) as OpenApi;
}

const mounted = (app: ReturnType<typeof appFor>): string[] =>
  app.routes
    .filter((r) => r.method !== "ALL")
    .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([a-z_]+)/g, "{$1}")}`)
    .sort();

describe("OpenAPI document", () => {
  for (const role of ["combined", "worker"] as const) {
    test(`the_${role}_document_is_valid_openapi_3_1_and_lists_every_mounted_route`, async () => {
      const app = appFor(role);
      const document = await documentOf(app);
      const result = await new Validator().validate(document);
      expect(result.errors ?? []).toEqual([]);
      expect(result.valid).toBe(true);
      expect(document.openapi).toBe("3.1.0");
      const documented = Object.entries(document.paths)
        .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`))
        .sort();
      expect(documented).toEqual(mounted(app));
    });
  }

  test("protected_routes_name_their_permission_and_auth_errors_and_public_ones_do_not", async () => {
    const document = await documentOf(appFor("combined"));
    const create = document.paths["/v1/tasks"]!["post"]!;
    expect(create["x-permission"]).toBe("tasks:create");
    for (const status of ["201", "400", "401", "403", "404", "409", "413"]) expect(create.responses[status]).toBeDefined();
    const health = document.paths["/health"]!["get"]!;
    expect(health.security).toEqual([]);
    expect(health.responses["401"]).toBeUndefined();
  });

  test("the_docs_page_is_served_without_internet", async () => {
    const app = appFor("combined");
    const page = await app.request("/docs");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("/docs/swagger-ui-bundle.js");
    expect(html).not.toMatch(/https?:\/\//);
    const script = await app.request("/docs/swagger-ui-bundle.js");
    expect(script.headers.get("content-type")).toContain("javascript");
    expect((await script.text()).length).toBeGreaterThan(100_000);
  });
});
