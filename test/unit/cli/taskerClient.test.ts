import { describe, expect, test } from "bun:test";
import { TaskerApiError } from "../../../src/client/taskerApiError.ts";
import { createTaskerClient } from "../../../src/client/taskerClient.ts";
import { TaskerError } from "../../../src/lib/errors.ts";

interface Seen {
  url: string;
  method: string;
  headers: Headers;
  body: string | undefined;
}

/** A fetch that records the request and answers with `status` and `body`. */
function fakeFetch(status: number, body: string, seen: Seen[] = []): typeof fetch {
  return ((input: string | URL | Request, init?: RequestInit) => {
    seen.push({
      url: typeof input === "string" ? input : input instanceof URL ? input.href : input.url,
      method: init?.method ?? "GET",
      headers: new Headers(init?.headers),
      body: typeof init?.body === "string" ? init.body : undefined,
    });
    return Promise.resolve(new Response(body, { status, headers: { "content-type": "application/json" } }));
  }) as typeof fetch;
}

async function errorOf(promise: Promise<unknown>): Promise<TaskerApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TaskerApiError) return error;
    throw error;
  }
  throw new Error("expected a TaskerApiError");
}

describe("createTaskerClient", () => {
  test("sends_json_to_the_documented_paths_with_the_query_and_without_a_trailing_slash", async () => {
    const seen: Seen[] = [];
    const client = createTaskerClient({ url: "http://tasker:8080/", fetch: fakeFetch(200, "[]", seen) });
    await client.listDlq({ resolution_status: "Pending", limit: 5 });
    await client.actOnStep("t-1", "s/2", { action_type: "resolve_manually", reason: "r", resolved_by: "me" });
    await client.getTemplate("ns", "name", "1.0.0");
    await client.listTasks({ namespace: undefined, page: 2 });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      "GET http://tasker:8080/v1/dlq?resolution_status=Pending&limit=5",
      "PATCH http://tasker:8080/v1/tasks/t-1/workflow_steps/s%2F2",
      "GET http://tasker:8080/v1/templates/ns/name/1.0.0",
      "GET http://tasker:8080/v1/tasks?page=2",
    ]);
    expect(seen[1]?.headers.get("content-type")).toBe("application/json");
    expect(JSON.parse(seen[1]?.body ?? "")).toEqual({ action_type: "resolve_manually", reason: "r", resolved_by: "me" });
    expect(seen[0]?.headers.get("content-type")).toBeNull();
  });

  test("sends_the_api_key_in_its_header_and_a_bearer_token_instead_when_both_are_set", async () => {
    const seen: Seen[] = [];
    await createTaskerClient({ url: "http://x", apiKey: "k1", fetch: fakeFetch(200, "{}", seen) }).getTask("t");
    await createTaskerClient({ url: "http://x", apiKey: "k2", apiKeyHeader: "X-Tasker-Key", fetch: fakeFetch(200, "{}", seen) }).getTask("t");
    await createTaskerClient({ url: "http://x", apiKey: "k3", token: "jwt", fetch: fakeFetch(200, "{}", seen) }).getTask("t");
    expect(seen[0]?.headers.get("x-api-key")).toBe("k1");
    expect(seen[1]?.headers.get("x-tasker-key")).toBe("k2");
    expect(seen[1]?.headers.get("x-api-key")).toBeNull();
    expect(seen[2]?.headers.get("authorization")).toBe("Bearer jwt");
    expect(seen[2]?.headers.get("x-api-key")).toBeNull();
  });

  test("turns_the_error_envelope_into_a_tasker_error_with_code_message_and_status", async () => {
    const body = JSON.stringify({ error: { code: "NOT_FOUND", message: "no task t" } });
    const error = await errorOf(createTaskerClient({ url: "http://x", fetch: fakeFetch(404, body) }).getTask("t"));
    expect(error).toBeInstanceOf(TaskerError);
    expect([error.code, error.message, error.status]).toEqual(["NOT_FOUND", "no task t", 404]);
  });

  test("an_error_without_an_envelope_gets_an_http_code_with_the_start_of_the_body", async () => {
    const error = await errorOf(createTaskerClient({ url: "http://x", fetch: fakeFetch(502, "Bad Gateway") }).getTask("t"));
    expect([error.code, error.status]).toEqual(["HTTP_502", 502]);
    expect(error.message).toContain("Bad Gateway");
  });

  test("a_connection_failure_is_a_network_error_naming_the_server", async () => {
    const failing = (() => Promise.reject(new TypeError("connection refused"))) as unknown as typeof fetch;
    const error = await errorOf(createTaskerClient({ url: "http://tasker:1", fetch: failing }).getTask("t"));
    expect(error.code).toBe("NETWORK_ERROR");
    expect(error.status).toBeUndefined();
    expect(error.message).toContain("http://tasker:1");
    expect(error.message).toContain("connection refused");
  });

  test("a_success_without_a_json_body_is_a_bad_response", async () => {
    const error = await errorOf(createTaskerClient({ url: "http://x", fetch: fakeFetch(200, "") }).getTask("t"));
    expect(error.code).toBe("BAD_RESPONSE");
  });
});
