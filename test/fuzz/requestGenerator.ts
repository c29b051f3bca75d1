/**
 * Generated HTTP requests for the fuzz test: every route of the role (from its
 * `defineRoute` specs), right and wrong methods, random and hostile path parameters,
 * queries, JSON bodies (random, wrong types, huge, deep, malformed) and headers
 * (content type, credentials, trace context). Deterministic for a seed.
 */
import type { RouteSpec } from "../../src/http/apiRoute.ts";

/** mulberry32: small, fast and good enough to reproduce a failing sequence from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** What the generator meant to exercise, for the report of a failure. */
  kind: string;
}

export interface FuzzContext {
  /** Values that make a request valid, so generated requests also reach the handlers. */
  validTask: Record<string, unknown>;
  knownTaskUuids: string[];
  /** Real (task, step) pairs, so step routes also find their step. */
  knownSteps: Array<{ taskUuid: string; stepUuid: string }>;
  apiKeyHeader: string;
  validApiKey: string;
  validJwt: string;
  bodyLimitBytes: number;
}

type Rng = () => number;

const int = (rng: Rng, max: number): number => Math.floor(rng() * max);
const pick = <T>(rng: Rng, items: readonly T[]): T => items[int(rng, items.length)]!;
const chance = (rng: Rng, p: number): boolean => rng() < p;

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;

const HOSTILE_STRINGS = [
  "",
  " ",
  "'; DROP TABLE tasker.tasks; --",
  "1' OR '1'='1",
  "robert'); DELETE FROM pgmq.meta; --",
  "../../../etc/passwd",
  "..%2F..%2Fetc%2Fpasswd",
  "%00",
  "\u0000",
  "null",
  "undefined",
  "true",
  "-1",
  "1e309",
  "NaN",
  "0x7fffffff",
  "99999999999999999999999999",
  "00000000-0000-0000-0000-000000000000",
  "ffffffff-ffff-ffff-ffff-ffffffffffff",
  "not-a-uuid",
  "01890a5d-ac96-774b-bcce-b302099a8057x",
  "{{7*7}}",
  "${jndi:ldap://x}",
  "<script>alert(1)</script>",
  "émoji 🚀 ünïcödé",
  "\ud800",
  "a".repeat(300),
  "__proto__",
  "constructor",
  "worker_x_queue; SELECT pg_sleep(10)",
  "name with spaces",
  "UPPER_CASE",
  "pgmq.q_worker_queue",
];

function randomString(rng: Rng, max = 40): string {
  const length = int(rng, max);
  let text = "";
  for (let i = 0; i < length; i++) {
    const r = rng();
    text += r < 0.7 ? String.fromCharCode(32 + int(rng, 95)) : r < 0.9 ? String.fromCharCode(int(rng, 0x2fff)) : String.fromCharCode(int(rng, 32));
  }
  return text;
}

/** Percent-encodes (lone surrogates cannot travel in a URL: they become U+FFFD first). */
const enc = (text: string): string =>
  encodeURIComponent(text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd"));

/** Raw, badly formed percent sequences, sent as they are. */
const BAD_ESCAPES = ["%", "%zz", "%E0%A4%A", "%C0%AF", "%FF%FE", "%u0041", "%%32%65", "%2e%2e%2f"];

function hex(rng: Rng, length: number): string {
  let text = "";
  for (let i = 0; i < length; i++) text += int(rng, 16).toString(16);
  return text;
}

function randomUuid(rng: Rng): string {
  return `${hex(rng, 8)}-${hex(rng, 4)}-7${hex(rng, 3)}-${pick(rng, ["8", "9", "a", "b"])}${hex(rng, 3)}-${hex(rng, 12)}`;
}

function hostileString(rng: Rng): string {
  return chance(rng, 0.6) ? pick(rng, HOSTILE_STRINGS) : randomString(rng);
}

/** Random JSON of bounded size and depth. */
export function randomJson(rng: Rng, depth = 0): unknown {
  const r = rng();
  if (depth > 4 || r < 0.35) {
    return pick(rng, [
      () => null,
      () => chance(rng, 0.5),
      () => int(rng, 2 ** 31) - 2 ** 30,
      () => rng() * 1e6,
      () => pick(rng, [Number.MAX_SAFE_INTEGER, -0, 1e308, 2 ** 53 + 1]),
      () => hostileString(rng),
    ])();
  }
  if (r < 0.65) return Array.from({ length: int(rng, 6) }, () => randomJson(rng, depth + 1));
  const object: Record<string, unknown> = {};
  for (let i = int(rng, 6); i > 0; i--) object[chance(rng, 0.7) ? randomString(rng, 12) : pick(rng, HOSTILE_STRINGS)] = randomJson(rng, depth + 1);
  return object;
}

/** A valid body with one field replaced by a value of a wrong type or shape. */
function mutate(rng: Rng, valid: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...valid };
  const keys = [...Object.keys(copy), "tags", "priority", "correlation_id", "parent_correlation_id", "idempotency_key", "initiator", "context"];
  const key = pick(rng, keys);
  if (chance(rng, 0.15)) delete copy[key];
  else copy[key] = chance(rng, 0.5) ? randomJson(rng, 3) : hostileString(rng);
  return copy;
}

function deepJson(rng: Rng): string {
  const depth = pick(rng, [100, 1_000, 10_000, 50_000]);
  return chance(rng, 0.5) ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

function hugeJson(rng: Rng, limit: number, valid: Record<string, unknown>): string {
  const target = pick(rng, [limit - 200, limit - 1, limit, limit + 1, limit * 2]);
  const head = JSON.stringify({ ...valid, context: { filler: "" } });
  const filler = "x".repeat(Math.max(0, target - head.length));
  return JSON.stringify({ ...valid, context: { filler } });
}

function body(rng: Rng, route: RouteSpec | undefined, ctx: FuzzContext): { body?: string; kind: string } {
  const validBody: Record<string, unknown> =
    route?.path === "/v1/tasks"
      ? ctx.validTask
      : route?.path.startsWith("/v1/dlq")
        ? { resolution_status: "Pending", resolution_notes: "fuzz" }
        : { action_type: pick(rng, ["resolve_manually", "reset_for_retry"]), reason: "fuzz", resolved_by: "fuzz", reset_by: "fuzz" };
  const r = rng();
  if (r < 0.25) return { body: JSON.stringify(validBody), kind: "valid body" };
  if (r < 0.5) return { body: JSON.stringify(mutate(rng, validBody)), kind: "mutated body" };
  if (r < 0.7) return { body: JSON.stringify(randomJson(rng)), kind: "random json" };
  if (r < 0.78) return { body: randomString(rng, 200), kind: "malformed json" };
  if (r < 0.82) return { body: deepJson(rng), kind: "deep json" };
  if (r < 0.84) {
    // A valid request whose context nests deeply: reaches validation, hashing and storage.
    const text = JSON.stringify({ ...validBody, context: { deep: null } });
    return { body: text.replace('"deep":null', `"deep":${deepJson(rng)}`), kind: "deep context" };
  }
  if (r < 0.86) return { body: hugeJson(rng, ctx.bodyLimitBytes, validBody), kind: "huge json" };
  if (r < 0.92) return { body: "", kind: "empty body" };
  return { kind: "no body" };
}

function paramValue(rng: Rng, name: string, ctx: FuzzContext): string {
  const r = rng();
  if (name.endsWith("uuid")) {
    if (r < 0.3 && ctx.knownTaskUuids.length > 0) return pick(rng, ctx.knownTaskUuids);
    if (r < 0.55) return randomUuid(rng);
  } else if (name === "version") {
    if (r < 0.5) return pick(rng, ["1.0.0", "0.0.1", "1.0", "1.0.0.0", "v1"]);
  } else if (r < 0.5) {
    return pick(rng, [String(ctx.validTask["namespace"]), String(ctx.validTask["name"]), "linear_workflow", "x"]);
  }
  return chance(rng, 0.15) ? pick(rng, BAD_ESCAPES) : enc(hostileString(rng));
}

function queryString(rng: Rng, route: RouteSpec | undefined): string {
  if (chance(rng, 0.4)) return "";
  const entries = route?.query ? Object.keys((route.query as unknown as { entries?: Record<string, unknown> }).entries ?? {}) : [];
  const keys = [...entries, "page", "limit", "namespace", randomString(rng, 8)];
  const parts: string[] = [];
  for (let i = int(rng, 4) + 1; i > 0; i--) {
    const key = pick(rng, keys);
    const value = pick(rng, [() => String(int(rng, 200) - 50), () => hostileString(rng), () => "", () => "1".repeat(40)])();
    parts.push(`${enc(key)}=${chance(rng, 0.1) ? pick(rng, BAD_ESCAPES) : enc(value)}`);
  }
  return `?${parts.join("&")}`;
}

function traceHeaders(rng: Rng): Record<string, string> {
  const r = rng();
  if (r < 0.5) return {};
  const garbage = pick(rng, [
    () => `00-${hex(rng, 32)}-${hex(rng, 16)}-01`,
    () => `ff-${hex(rng, 32)}-${hex(rng, 16)}-01`,
    () => `00-${"0".repeat(32)}-${"0".repeat(16)}-00`,
    () => `00-${hex(rng, 31)}-${hex(rng, 16)}-01`,
    () => `00-${hex(rng, 32)}-${hex(rng, 16)}-01-extra-${hex(rng, 8)}`,
    () => printable(randomString(rng, 80)),
    () => "x".repeat(8000),
  ])();
  const headers: Record<string, string> = { traceparent: garbage };
  if (chance(rng, 0.5)) headers["tracestate"] = printable(chance(rng, 0.5) ? `a=${randomString(rng, 30)}` : "k=".repeat(1000));
  return headers;
}

/** Only what fetch may put in a header value (a ByteString without CR/LF/NUL). */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, "?");
}

function authHeaders(rng: Rng, ctx: FuzzContext): Record<string, string> {
  const r = rng();
  if (r < 0.55) return { [ctx.apiKeyHeader]: ctx.validApiKey };
  if (r < 0.65) return { authorization: `Bearer ${ctx.validJwt}` };
  if (r < 0.7) return {};
  return pick(rng, [
    () => ({ [ctx.apiKeyHeader]: printable(hostileString(rng)) || "x" }),
    () => ({ [ctx.apiKeyHeader]: `${ctx.validApiKey}x` }),
    () => ({ authorization: printable(`Bearer ${randomString(rng, 60)}`) }),
    () => ({ authorization: "Bearer " }),
    () => ({ authorization: "Basic dXNlcjpwYXNz" }),
    () => ({ authorization: `Bearer ${ctx.validJwt.slice(0, -4)}abcd` }),
    () => ({ authorization: `Bearer eyJhbGciOiJub25lIn0.${Buffer.from('{"sub":"x","permissions":["*"]}').toString("base64url")}.` }),
    () => ({ authorization: `Bearer ${"a".repeat(20_000)}.b.c` }),
    () => ({ authorization: `Bearer ${hex(rng, 10)}.${hex(rng, 10)}.${hex(rng, 10)}` }),
  ])();
}

function contentType(rng: Rng): Record<string, string> {
  const r = rng();
  if (r < 0.7) return { "content-type": "application/json" };
  if (r < 0.75) return {};
  return {
    "content-type": pick(rng, [
      "text/plain",
      "application/json; charset=utf-16",
      "application/vnd.api+json",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/jsonx",
      "json",
      printable(randomString(rng, 30)),
    ]),
  };
}

/** One request: a route of the role (usually) or a random path, with its parts generated. */
export function generateRequest(rng: Rng, routes: readonly RouteSpec[], ctx: FuzzContext): FuzzRequest {
  const kinds: string[] = [];
  let route: RouteSpec | undefined;
  let path: string;
  if (chance(rng, 0.88)) {
    route = pick(rng, routes);
    const step = route.path.includes("{step_uuid}") && ctx.knownSteps.length > 0 && chance(rng, 0.4) ? pick(rng, ctx.knownSteps) : undefined;
    path = route.path.replace(/\{([a-z_]+)\}/g, (_, name: string) => {
      if (step && name === "task_uuid") return step.taskUuid;
      if (step && name === "step_uuid") return step.stepUuid;
      return paramValue(rng, name, ctx);
    });
    kinds.push(`${route.method.toUpperCase()} ${route.path}`);
  } else {
    const segments = Array.from({ length: int(rng, 5) + 1 }, () => enc(hostileString(rng)));
    path = `/${chance(rng, 0.5) ? "v1/" : ""}${segments.join("/")}`;
    kinds.push("random path");
  }
  const method = route && chance(rng, 0.85) ? route.method.toUpperCase() : pick(rng, METHODS);
  const headers: Record<string, string> = { ...authHeaders(rng, ctx), ...traceHeaders(rng) };
  if (chance(rng, 0.1)) headers["x-request-id"] = printable(chance(rng, 0.5) ? randomString(rng, 300) : "id".repeat(200));
  if (chance(rng, 0.05)) headers["accept"] = printable(randomString(rng, 40));
  if (chance(rng, 0.05)) headers["origin"] = "https://evil.example";
  let bodyText: string | undefined;
  if (method !== "GET" && method !== "HEAD" && (route?.body !== undefined || chance(rng, 0.3))) {
    const generated = body(rng, route, ctx);
    bodyText = generated.body;
    kinds.push(generated.kind);
    Object.assign(headers, contentType(rng));
  }
  return { method, path: path + queryString(rng, route), headers, body: bodyText, kind: kinds.join(", ") };
}
