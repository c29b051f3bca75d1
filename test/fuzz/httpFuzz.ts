/**
 * Fuzzes the HTTP surface of the compiled binary (`--role combined`, auth on with an API key
 * and a JWT key, tracing on to a sink) with generated requests at every route of the role:
 * no answer may be a 5xx, every error must be the JSON error envelope, the process must stay
 * up and its RSS must come back to its baseline. The seed is printed; the same seed replays
 * the same requests.
 *
 *   bun test/fuzz/httpFuzz.ts [--requests 100000] [--seed 1234] [--concurrency 16]   (npm run test:fuzz)
 *
 * `test/fuzz/httpFuzz.test.ts` runs a short version in `npm test`.
 */
import { exportSPKI, generateKeyPair, SignJWT } from "jose";
import type { Sql } from "postgres";
import type { RouteSpec } from "../../src/http/apiRoute.ts";
import { createRoleRoutes } from "../../src/http/createRoleRoutes.ts";
import { createOpenApiRoutes } from "../../src/http/openapi/openApiRoutes.ts";
import { spawnTasker, type TaskerProcess } from "../support/binary.ts";
import { freePort } from "../support/ports.ts";
import { waitFor } from "../support/waitFor.ts";
import { LOAD_HANDLERS, rssMb } from "../load/burst.ts";
import { generateRequest, seededRandom, type FuzzContext, type FuzzRequest } from "./requestGenerator.ts";

/** Every route the combined role serves, from the same specs that mount and document them. */
export function roleRouteSpecs(): RouteSpec[] {
  const unused = () => undefined;
  const routes = createRoleRoutes({
    role: "combined",
    sql: {} as Sql,
    createTask: unused,
    operator: unused,
    namespaces: unused,
    renderPrometheus: () => Promise.resolve(""),
    configView: () => ({}),
    health: { lifecycleState: () => "running", checks: [], info: () => ({}) },
  });
  return [...routes, ...createOpenApiRoutes(routes, { title: "t", version: "0", description: "d", apiKeyHeader: "X-API-Key" })];
}

export interface FuzzFailure {
  index: number;
  status: number | "transport error";
  request: string;
  answer: string;
}

export interface FuzzReport {
  seed: number;
  requests: number;
  routes: number;
  seconds: number;
  byStatus: Record<string, number>;
  serverErrors: FuzzFailure[];
  /** Error answers (>= 400) that are not the `{"error": {"code", "message"}}` envelope. */
  nonEnvelopeErrors: FuzzFailure[];
  transportErrors: FuzzFailure[];
  /** Log lines at error level or above (an unhandled error in a request is one). */
  errorLogLines: string[];
  processAlive: boolean;
  rss: { baselineMb: number; peakMb: number; finalMb: number };
}

const API_KEY = "fuzz-api-key-0123456789abcdef";
const NOOP_TASK = { namespace: "load_noop", name: "noop_pair", version: "1.0.0", context: {} };

interface Target {
  proc: TaskerProcess;
  baseUrl: string;
  ctx: FuzzContext;
  stop(): Promise<void>;
}

/** Starts the binary with auth and tracing on, and creates a few tasks the requests can name. */
async function startTarget(databaseUrl: string, bodyLimitBytes: number): Promise<Target> {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const jwt = await new SignJWT({ permissions: ["tasks:*", "steps:*", "dlq:*", "templates:*", "system:*"] })
    .setProtectedHeader({ alg: "RS256" })
    .setSubject("fuzz")
    .setIssuer("tasker-core")
    .setAudience("tasker-api")
    .setIssuedAt()
    .setExpirationTime("2h")
    .sign(privateKey);
  // Traces go to a sink that accepts and drops them: request tracing runs on every request.
  const sink = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(null, { status: 200 }) });
  const port = await freePort();
  const proc = spawnTasker(["--role", "combined", "--port", String(port), "--handlers", LOAD_HANDLERS, "--namespace", "load_noop"], {
    env: {
      DATABASE_URL: databaseUrl,
      TASKER_DATABASE__MIGRATE_ON_START: "true",
      TASKER_TELEMETRY__LOG_FORMAT: "json",
      TASKER_TELEMETRY__LOG_LEVEL: "warn",
      TASKER_WEB__BODY_LIMIT_BYTES: String(bodyLimitBytes),
      TASKER_WEB__AUTH__ENABLED: "true",
      TASKER_WEB__AUTH__API_KEYS: `[{ key = "${API_KEY}", permissions = ["tasks:*", "steps:*", "dlq:*", "templates:*", "system:*"] }]`,
      TASKER_WEB__AUTH__JWT_PUBLIC_KEY: await exportSPKI(publicKey),
      TASKER_WEB__CORS_ORIGINS: '["https://app.example"]',
      TASKER_WEB__CONFIG_ENDPOINT_ENABLED: "true",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    },
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    proc.kill("SIGTERM");
    await proc.exited;
    await sink.stop(true);
  };
  try {
    await waitFor(async () => (await fetch(`${baseUrl}/health/ready`).catch(() => undefined))?.status === 200, {
      timeoutMs: 30_000,
      intervalMs: 100,
      description: () => `the fuzz target to be ready; stderr:\n${proc.stderr().slice(-2000)}`,
    });
    const ctx: FuzzContext = {
      validTask: NOOP_TASK,
      knownTaskUuids: [],
      knownSteps: [],
      apiKeyHeader: "X-API-Key",
      validApiKey: API_KEY,
      validJwt: jwt,
      bodyLimitBytes,
    };
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${baseUrl}/v1/tasks`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": API_KEY },
        body: JSON.stringify(NOOP_TASK),
      });
      const task = (await response.json()) as { task_uuid: string; steps: Array<{ workflow_step_uuid: string }> };
      ctx.knownTaskUuids.push(task.task_uuid);
      for (const step of task.steps) ctx.knownSteps.push({ taskUuid: task.task_uuid, stepUuid: step.workflow_step_uuid });
    }
    return { proc, baseUrl, ctx, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function describeRequest(request: FuzzRequest): string {
  const body = request.body === undefined ? "" : ` body(${request.body.length} bytes)=${JSON.stringify(request.body.slice(0, 200))}`;
  return `${request.method} ${request.path.slice(0, 300)} [${request.kind}] headers=${JSON.stringify(request.headers).slice(0, 300)}${body}`;
}

function isEnvelope(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    return typeof parsed.error?.code === "string" && typeof parsed.error.message === "string";
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for the RSS to settle back under `limitMb` (the runtime returns memory lazily); returns the last reading. */
async function settledRss(pid: number, limitMb: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = rssMb(pid);
  while (last > limitMb && Date.now() < deadline) {
    await sleep(250);
    last = rssMb(pid);
  }
  return last;
}

export interface FuzzOptions {
  databaseUrl: string;
  requests: number;
  seed: number;
  concurrency?: number;
  /** Kept small so huge bodies are cheap to send; the real limit's code path is the same. */
  bodyLimitBytes?: number;
  /** RSS may end this much above its baseline (MB) once settled. */
  rssToleranceMb?: number;
  log?: (line: string) => void;
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const log = options.log ?? (() => {});
  const routes = roleRouteSpecs();
  const target = await startTarget(options.databaseUrl, options.bodyLimitBytes ?? 256 * 1024);
  const rng = seededRandom(options.seed);
  const byStatus: Record<string, number> = {};
  const serverErrors: FuzzFailure[] = [];
  const nonEnvelopeErrors: FuzzFailure[] = [];
  const transportErrors: FuzzFailure[] = [];
  const warmUp = Math.min(1000, Math.floor(options.requests / 10));
  let baselineMb = 0;
  let peakMb = 0;
  let next = 0;
  const started = performance.now();
  try {
    // Requests are generated in order from the seed; lanes only send them.
    const requests = function* (): Generator<[number, FuzzRequest]> {
      for (; next < options.requests; next++) yield [next, generateRequest(rng, routes, target.ctx)];
    };
    const queue = requests();
    const sendOne = async (index: number, request: FuzzRequest): Promise<void> => {
      try {
        const response = await fetch(`${target.baseUrl}${request.path}`, {
          method: request.method,
          headers: request.headers,
          body: request.body,
          redirect: "manual",
          signal: AbortSignal.timeout(30_000),
        });
        const text = await response.text();
        byStatus[response.status] = (byStatus[response.status] ?? 0) + 1;
        const failure = (): FuzzFailure => ({ index, status: response.status, request: describeRequest(request), answer: text.slice(0, 300) });
        if (response.status >= 500) serverErrors.push(failure());
        // 431 comes from Bun's HTTP parser (headers over its limit) before the app runs.
        else if (response.status >= 400 && response.status !== 431 && request.method !== "HEAD" && !isEnvelope(text)) nonEnvelopeErrors.push(failure());
      } catch (error) {
        transportErrors.push({ index, status: "transport error", request: describeRequest(request), answer: String(error).slice(0, 300) });
      }
    };
    const lane = async (): Promise<void> => {
      for (let item = queue.next(); !item.done; item = queue.next()) {
        const [index, request] = item.value;
        await sendOne(index, request);
        if (index === warmUp) {
          await sleep(500);
          baselineMb = rssMb(target.proc.pid);
          log(`baseline RSS after ${warmUp} warm-up requests: ${baselineMb} MB`);
        }
        if (index % 500 === 0) {
          peakMb = Math.max(peakMb, rssMb(target.proc.pid));
          if (index % 5000 === 0 && index > 0) log(`${index} requests, ${serverErrors.length} 5xx, RSS ${rssMb(target.proc.pid)} MB`);
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 16 }, lane));
    const seconds = (performance.now() - started) / 1000;
    const live = await fetch(`${target.baseUrl}/health/live`).then((r) => r.status === 200, () => false);
    const tolerance = options.rssToleranceMb ?? 48;
    const finalMb = await settledRss(target.proc.pid, baselineMb + tolerance, 15_000);
    peakMb = Math.max(peakMb, finalMb);
    return {
      seed: options.seed,
      requests: options.requests,
      routes: routes.length,
      seconds: Math.round(seconds * 10) / 10,
      byStatus,
      serverErrors,
      nonEnvelopeErrors,
      transportErrors,
      errorLogLines: target.proc
        .logs()
        .filter((l) => ["error", "fatal"].includes(String(l["level"])))
        .map((l) => JSON.stringify(l).slice(0, 600)),
      processAlive: live,
      rss: { baselineMb, peakMb, finalMb },
    };
  } finally {
    await target.stop();
  }
}

export function formatFuzzReport(r: FuzzReport): string {
  const statuses = Object.entries(r.byStatus).map(([s, n]) => `${s}:${n}`).join(" ");
  const lines = [
    `fuzz: seed ${r.seed}, ${r.requests} requests at ${r.routes} routes in ${r.seconds} s (${Math.round(r.requests / r.seconds)}/s)`,
    `  statuses: ${statuses}`,
    `  5xx: ${r.serverErrors.length}, non-envelope errors: ${r.nonEnvelopeErrors.length}, transport errors: ${r.transportErrors.length}, error log lines: ${r.errorLogLines.length}`,
    `  process alive: ${r.processAlive}; RSS baseline ${r.rss.baselineMb} MB, peak ${r.rss.peakMb} MB, final ${r.rss.finalMb} MB`,
  ];
  for (const f of [...r.serverErrors, ...r.nonEnvelopeErrors, ...r.transportErrors].slice(0, 10)) {
    lines.push(`  #${f.index} ${f.status}: ${f.request}\n    -> ${f.answer}`);
  }
  for (const line of r.errorLogLines.slice(0, 5)) lines.push(`  log: ${line}`);
  return lines.join("\n");
}

function numberFlag(args: string[], name: string): number | undefined {
  const i = args.indexOf(name);
  return i === -1 ? undefined : Number(args[i + 1]);
}

if (import.meta.main) {
  const { createEmptyDatabase, stopTestServer } = await import("../support/database.ts");
  const args = process.argv.slice(2);
  const seed = numberFlag(args, "--seed") ?? Math.floor(Math.random() * 2 ** 31);
  process.stdout.write(`fuzz seed ${seed} (replay with --seed ${seed})\n`);
  const db = await createEmptyDatabase("fuzz");
  let failed = true;
  try {
    const report = await runFuzz({
      databaseUrl: db.url,
      requests: numberFlag(args, "--requests") ?? 100_000,
      seed,
      concurrency: numberFlag(args, "--concurrency") ?? 16,
      log: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(`${formatFuzzReport(report)}\n`);
    failed =
      report.serverErrors.length + report.nonEnvelopeErrors.length + report.transportErrors.length + report.errorLogLines.length > 0 ||
      !report.processAlive ||
      report.rss.finalMb > report.rss.baselineMb + 48;
    process.stdout.write(failed ? "FAILED\n" : "ok\n");
  } finally {
    await db.drop();
    await stopTestServer();
  }
  process.exit(failed ? 1 : 0);
}
