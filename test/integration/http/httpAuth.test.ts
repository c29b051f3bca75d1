import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { useTestDatabase } from "../../support/database.ts";
import { afterAll, beforeAll, describe, expect, test } from "../../support/test.ts";
import { serveApp, type ServedApp } from "./serveApp.ts";

const db = useTestDatabase(import.meta.file);
const FULL_KEY = "full-access-key-0123456789";
const WEAK_KEY = "weak-access-key-0123456789";
const ALL = ["tasks:*", "steps:*", "dlq:*", "templates:*", "system:*"];
const SAMPLE_UUID = "01960000-0000-7000-8000-000000000000";

let api: ServedApp;
let signingKey: CryptoKey;
let strangerKey: CryptoKey;
let routes: Array<{ method: string; path: string; permission: string }>;

beforeAll(async () => {
  const pair = await generateKeyPair("RS256");
  signingKey = pair.privateKey;
  strangerKey = (await generateKeyPair("RS256")).privateKey;
  api = serveApp({
    sql: db.sql,
    auth: {
      enabled: true,
      api_keys: [
        { key: FULL_KEY, permissions: ALL, description: "ops" },
        { key: WEAK_KEY, permissions: ["worker:config_read"], description: "weak" },
      ],
      jwt_public_key: await exportSPKI(pair.publicKey),
    },
  });
  const document = (await (await fetch(`${api.url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { "x-permission"?: string }>>;
  };
  routes = Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations).flatMap(([method, op]) =>
      op["x-permission"] ? [{ method: method.toUpperCase(), path: path.replace(/\{[a-z_]+\}/g, (m) => (m.includes("uuid") ? SAMPLE_UUID : "x")), permission: op["x-permission"] }] : [],
    ),
  );
});
afterAll(async () => {
  await api?.stop();
});

const token = (key: CryptoKey, claims: { exp?: string | number; permissions?: string[]; aud?: string } = {}): Promise<string> =>
  new SignJWT({ permissions: claims.permissions ?? ALL })
    .setProtectedHeader({ alg: "RS256" })
    .setSubject("tester")
    .setIssuer("tasker-core")
    .setAudience(claims.aud ?? "tasker-api")
    .setIssuedAt()
    .setExpirationTime(claims.exp ?? "5m")
    .sign(key);

async function statusOf(route: { method: string; path: string }, headers: Record<string, string>): Promise<{ status: number; reason: string | null }> {
  const hasBody = route.method === "POST" || route.method === "PATCH";
  const response = await fetch(`${api.url}${route.path}`, {
    method: route.method,
    headers: { ...headers, ...(hasBody ? { "content-type": "application/json" } : {}) },
    ...(hasBody ? { body: "{}" } : {}),
  });
  await response.arrayBuffer();
  return { status: response.status, reason: response.headers.get("x-auth-failure-reason") };
}

describe("auth matrix", () => {
  test("every_protected_route_is_listed", () => {
    expect(routes.length).toBeGreaterThanOrEqual(20);
  });

  test("each_protected_route_answers_401_403_or_passes_by_credential", async () => {
    const valid = await token(signingKey);
    const expired = await token(signingKey, { exp: Math.floor(Date.now() / 1000) - 60 });
    const forged = await token(strangerKey);
    const wrongAudience = await token(signingKey, { aud: "someone-else" });
    const underprivileged = await token(signingKey, { permissions: ["dlq:read"] });
    for (const route of routes) {
      const label = `${route.method} ${route.path}`;
      expect({ label, ...(await statusOf(route, {})) }).toEqual({ label, status: 401, reason: "missing" });
      expect({ label, ...(await statusOf(route, { "x-api-key": "not-a-key" })) }).toEqual({ label, status: 401, reason: "invalid" });
      expect({ label, ...(await statusOf(route, { "x-api-key": WEAK_KEY })) }).toEqual({ label, status: 403, reason: "forbidden" });
      expect({ label, ...(await statusOf(route, { authorization: `Bearer ${expired}` })) }).toEqual({ label, status: 401, reason: "expired" });
      expect({ label, ...(await statusOf(route, { authorization: `Bearer ${forged}` })) }).toEqual({ label, status: 401, reason: "invalid" });
      expect({ label, ...(await statusOf(route, { authorization: `Bearer ${wrongAudience}` })) }).toEqual({ label, status: 401, reason: "invalid" });
      const limited = await statusOf(route, { authorization: `Bearer ${underprivileged}` });
      expect({ label, status: limited.status }).toEqual({ label, status: route.permission === "dlq:read" ? limited.status : 403 });
      for (const headers of [{ "x-api-key": FULL_KEY }, { authorization: `Bearer ${valid}` }] as Array<Record<string, string>>) {
        const passed = await statusOf(route, headers);
        expect({ label, passed: passed.status !== 401 && passed.status !== 403 && passed.status < 500 }).toEqual({ label, passed: true });
      }
    }
  });

  test("health_openapi_and_docs_stay_public", async () => {
    for (const path of ["/health", "/health/live", "/health/ready", "/health/detailed", "/openapi.json", "/docs"]) {
      expect({ path, status: (await fetch(`${api.url}${path}`)).status }).toEqual({ path, status: 200 });
    }
  });

  test("a_jwks_endpoint_verifies_es256_tokens", async () => {
    const pair = await generateKeyPair("ES256");
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256" };
    const jwks = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => Response.json({ keys: [jwk] }) });
    const served = serveApp({ sql: db.sql, auth: { enabled: true, jwks_url: `http://127.0.0.1:${jwks.port}/jwks.json` } });
    try {
      const signed = await new SignJWT({ permissions: ["templates:read"] })
        .setProtectedHeader({ alg: "ES256", kid: "k1" })
        .setIssuer("tasker-core").setAudience("tasker-api").setExpirationTime("5m")
        .sign(pair.privateKey);
      const ok = await fetch(`${served.url}/v1/templates`, { headers: { authorization: `Bearer ${signed}` } });
      expect(ok.status).toBe(200);
      const denied = await fetch(`${served.url}/v1/tasks`, { headers: { authorization: `Bearer ${signed}` } });
      expect(denied.status).toBe(403);
    } finally {
      await served.stop();
      await jwks.stop(true);
    }
  });
});
