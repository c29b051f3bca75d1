/**
 * Secrets (the database password, API keys, a JWT bearer token) set through
 * the environment never appear in what the binary writes or serves: `config check` (valid
 * and invalid), a failing start-up, a running role at debug level answering good, bad and
 * unauthenticated requests, its error bodies, `/health/detailed`, `/openapi.json`,
 * `/metrics`, `/config`, and the spans it exports to an in-test OTLP receiver.
 */
import { exportSPKI, generateKeyPair, SignJWT } from "jose";
import { runTasker, spawnTasker, type TaskerProcess } from "../support/binary.ts";
import { useTestDatabase } from "../support/database.ts";
import { startOtlpReceiver, type OtlpReceiver } from "../support/otlpReceiver.ts";
import { freePort } from "../support/ports.ts";
import { waitFor } from "../support/waitFor.ts";
import { afterAll, beforeAll, describe, expect, test } from "../support/test.ts";
import { FIXTURE_HANDLERS } from "./engineHarness.ts";

const db = useTestDatabase(import.meta.file);

const DB_PASSWORD = "Db-Pa55word-7f3a9c";
const API_KEY = "ApiKey-Secret-5b8e2d41c07a";
const SECOND_API_KEY = "ApiKey-Other-Secret-91d0e6aa";
let jwt = "";
let jwtPublicKey = "";
let receiver: OtlpReceiver | undefined;
const procs: TaskerProcess[] = [];

/** The test database's URL with DB_PASSWORD as its password (ignored by a trust-auth server, still a secret to keep). */
function urlWithPassword(url: string): { url: string; password: string } {
  const parsed = new URL(url);
  if (parsed.password !== "") return { url, password: decodeURIComponent(parsed.password) };
  parsed.password = DB_PASSWORD;
  return { url: parsed.toString(), password: DB_PASSWORD };
}

function secretEnv(databaseUrl: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    TASKER_WEB__AUTH__ENABLED: "true",
    TASKER_WEB__AUTH__API_KEYS: `[{ key = "${API_KEY}", permissions = ["tasks:*", "templates:*", "dlq:*", "steps:*", "system:*"] }, { key = "${SECOND_API_KEY}", permissions = ["tasks:read"] }]`,
    TASKER_WEB__AUTH__JWT_PUBLIC_KEY: jwtPublicKey,
  };
}

/**
 * Every secret, and a distinctive piece of each (a secret may leak cut or re-encoded). The JWT
 * key in config is a public key (tokens are verified, never signed, here), so `config check` may
 * show it; the signed token is the credential that must never appear.
 */
function secretsOf(password: string): string[] {
  return [password, encodeURIComponent(password), API_KEY, SECOND_API_KEY, jwt, jwt.split(".")[2]!];
}

function expectNoSecrets(where: string, text: string, secrets: string[]): void {
  for (const secret of secrets) {
    if (text.includes(secret)) throw new Error(`${where} contains the secret ${secret.slice(0, 12)}…:\n${text.slice(Math.max(0, text.indexOf(secret) - 300), text.indexOf(secret) + 100)}`);
  }
}

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  jwtPublicKey = await exportSPKI(publicKey);
  jwt = await new SignJWT({ permissions: ["tasks:*"] }).setProtectedHeader({ alg: "RS256" }).setSubject("secrets-test").setIssuer("tasker-core").setAudience("tasker-api").setExpirationTime("1h").sign(privateKey);
});

afterAll(async () => {
  for (const p of procs) p.kill("SIGKILL");
  await Promise.all(procs.map((p) => p.exited));
  await receiver?.stop();
});

describe("secrets never leak", () => {
  test("config_check_masks_every_secret_when_valid_and_when_invalid", async () => {
    const { url, password } = urlWithPassword(db.url);
    const secrets = secretsOf(password);
    const valid = await runTasker(["config", "check"], { env: secretEnv(url) });
    expect(valid.code).toBe(0);
    expect(valid.stdout).toContain("****");
    expectNoSecrets("config check output", valid.stdout + valid.stderr, secrets);

    const invalid = await runTasker(["config", "check"], {
      env: {
        ...secretEnv(url.replace(/:\d+\//, ":notaport/")),
        // A key too short to be accepted, whose value the error must still hide.
        TASKER_WEB__AUTH__API_KEYS: `[{ key = "${API_KEY.slice(0, 12)}", permissions = ["tasks:*"] }]`,
        TASKER_WEB__PORT: "seventy",
      },
    });
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr + invalid.stdout).toContain("web.port");
    expectNoSecrets("invalid config check output", invalid.stdout + invalid.stderr, [...secrets, API_KEY.slice(0, 12)]);
  });

  test("a_failing_start_up_does_not_print_the_database_password", async () => {
    const closedPort = await freePort();
    const url = `postgres://tasker:${DB_PASSWORD}@127.0.0.1:${closedPort}/nowhere`;
    const proc = spawnTasker(["--role", "orchestration", "--port", String(await freePort())], {
      env: { ...secretEnv(url), TASKER_TELEMETRY__LOG_FORMAT: "json", TASKER_TELEMETRY__LOG_LEVEL: "debug", TASKER_DATABASE__MIGRATE_ON_START: "true" },
    });
    procs.push(proc);
    // It either gives up (migrate_on_start creates the database first) or keeps retrying: both log the failure.
    await waitFor(() => proc.stderr().length > 0 && /ECONNREFUSED|connect|failed|unavailable/i.test(proc.stderr()), {
      timeoutMs: 20_000,
      description: () => `a logged connection failure; stderr:\n${proc.stderr().slice(-1000)}`,
    });
    proc.kill("SIGTERM");
    await proc.exited;
    expectNoSecrets("failing start-up output", proc.stdout() + proc.stderr(), [DB_PASSWORD, encodeURIComponent(DB_PASSWORD)]);

    // A role refused at start-up by its configuration: the error names the URL, masked.
    const refused = await runTasker(["--role", "combined"], {
      env: { ...secretEnv(`postgres://tasker:${DB_PASSWORD}@127.0.0.1:notaport/nowhere`), TASKER_WEB__PORT: "seventy" },
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("database.url");
    expect(refused.stderr).toContain("tasker:****@");
    expectNoSecrets("refused start-up output", refused.stdout + refused.stderr, [DB_PASSWORD, API_KEY, SECOND_API_KEY]);
  });

  test("a_running_role_keeps_secrets_out_of_logs_answers_health_openapi_metrics_and_spans", async () => {
    const { url, password } = urlWithPassword(db.url);
    const secrets = secretsOf(password);
    receiver = startOtlpReceiver();
    const port = await freePort();
    const proc = spawnTasker(["--role", "combined", "--port", String(port), "--handlers", FIXTURE_HANDLERS, "--namespace", "load_noop"], {
      env: {
        ...secretEnv(url),
        TASKER_TELEMETRY__LOG_FORMAT: "json",
        TASKER_TELEMETRY__LOG_LEVEL: "debug",
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        TASKER_WEB__CONFIG_ENDPOINT_ENABLED: "true",
      },
    });
    procs.push(proc);
    await proc.waitForLog((l) => l["msg"] === "ready", 30_000);
    const base = `http://127.0.0.1:${port}`;
    const answers: string[] = [];
    const call = async (path: string, init: RequestInit = {}): Promise<Response> => {
      const response = await fetch(`${base}${path}`, init);
      answers.push(`${init.method ?? "GET"} ${path} -> ${response.status} ${JSON.stringify([...response.headers])} ${await response.clone().text()}`);
      return response;
    };
    const json = { "content-type": "application/json" };
    const task = { namespace: "load_noop", name: "noop_pair", version: "1.0.0", context: { note: "hello" } };

    const created = await call("/v1/tasks", { method: "POST", headers: { ...json, "X-API-Key": API_KEY }, body: JSON.stringify(task) });
    expect(created.status).toBe(201);
    const { task_uuid: taskUuid } = (await created.json()) as { task_uuid: string };
    expect((await call("/v1/tasks", { method: "POST", headers: { ...json, authorization: `Bearer ${jwt}` }, body: JSON.stringify(task) })).status).toBe(201);
    // Wrong and near-miss credentials, a bad body, a forbidden action, a bad token.
    expect((await call("/v1/tasks", { method: "POST", headers: { ...json, "X-API-Key": `${API_KEY}x` }, body: "{}" })).status).toBe(401);
    expect((await call("/v1/tasks", { method: "POST", headers: { ...json, "X-API-Key": API_KEY }, body: `{"namespace": "${API_KEY}"` })).status).toBe(400);
    expect((await call("/v1/tasks", { method: "POST", headers: { ...json, "X-API-Key": API_KEY }, body: JSON.stringify({ ...task, namespace: `x'; ${API_KEY}` }) })).status).toBe(400);
    expect((await call(`/v1/tasks/${taskUuid}`, { method: "DELETE", headers: { "X-API-Key": SECOND_API_KEY } })).status).toBe(403);
    expect((await call("/v1/tasks", { headers: { authorization: `Bearer ${jwt.slice(0, -3)}abc` } })).status).toBe(401);
    expect((await call("/v1/tasks", { headers: { authorization: `Bearer ${jwt}` } })).status).toBe(200);
    expect((await call("/health/detailed")).status).toBe(200);
    expect((await call("/openapi.json")).status).toBe(200);
    expect((await call("/metrics")).status).toBe(200);
    // GET /config: the effective configuration, masked; system:config_read required.
    expect((await call("/config")).status).toBe(401);
    expect((await call("/config", { headers: { "X-API-Key": SECOND_API_KEY } })).status).toBe(403);
    const shown = (await (await call("/config", { headers: { "X-API-Key": API_KEY } })).json()) as {
      metadata: { role: string };
      database: { url: string };
      web: { auth: Record<string, unknown> };
    };
    expect(shown.metadata.role).toBe("combined");
    expect(shown.database.url).toContain(":****@");
    expect(shown.web.auth).toMatchObject({ enabled: true, api_key_count: 2, verification_method: "public_key" });
    expect(shown.web.auth["api_keys"]).toBeUndefined();
    await waitFor(async () => {
      const r = await fetch(`${base}/v1/tasks/${taskUuid}`, { headers: { "X-API-Key": API_KEY } });
      return ((await r.json()) as { status: string }).status === "complete";
    }, { timeoutMs: 20_000, description: "the task to complete" });

    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    await waitFor(() => receiver!.spans().some((s) => s.name.startsWith("POST")), { timeoutMs: 10_000, description: "the request spans" });
    expect(proc.logs().length).toBeGreaterThan(10);
    expectNoSecrets("stdout/stderr of the role", proc.stdout() + proc.stderr(), secrets);
    expectNoSecrets("HTTP answers", answers.join("\n"), secrets);
    expectNoSecrets("exported spans", JSON.stringify(receiver.spans()), secrets);
  }, 90_000);
});
