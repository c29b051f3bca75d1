/**
 * CPU hot paths of one step and one task request, measured in-process with mitata
 * (no database): message decode/encode, template parsing and validation, the template
 * read back from named_tasks, request context validation and identity hash, result JSON
 * validation and serialisation, and executeStep's framework overhead around a no-op
 * handler. Times are ns per call (mitata's p50 / avg / p99).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { do_not_optimize, measure } from "mitata";
import { identityHash } from "../src/orchestration/identityHash.ts";
import { parseYaml } from "../src/runtime/index.ts";
import { parseTemplate, templateFromConfiguration, toTemplateConfiguration, validateTaskContext } from "../src/templates/index.ts";
import { silentLogger } from "../src/telemetry/logger.ts";
import { findNonJson } from "../src/lib/jsonResult.ts";
import { createInlineRunner } from "../src/worker/handlerRunner.ts";
import { createHandlerThreadPool } from "../src/worker/isolation/handlerThreadPool.ts";
import { executeStep } from "../src/worker/stepExecutor.ts";
import { decodeStepMessage } from "../src/worker/stepMessage.ts";
import type { ClaimedStep } from "../src/worker/stepRepository.ts";
import { REPO_ROOT } from "../test/support/binary.ts";

export interface MicroResult {
  name: string;
  p50Ns: number;
  avgNs: number;
  p99Ns: number;
  samples: number;
}

export async function runMicroBenchmarks(options: { quick: boolean; log: (l: string) => void }): Promise<MicroResult[]> {
  const message = {
    task_uuid: "01900000-0000-7000-8000-000000000001",
    step_uuid: "01900000-0000-7000-8000-000000000002",
    correlation_id: "01900000-0000-7000-8000-000000000003",
    step_name: "process_left",
    attempt: 1,
  };
  const messageText = JSON.stringify(message);
  const yamlPath = join(REPO_ROOT, "handlers", "mixed_dag_workflow", "complex_dag.yaml");
  const yamlText = readFileSync(yamlPath, "utf8");
  const source = { file: yamlPath, namespace: "mixed_dag_workflow" };
  const parsedYaml = parseYaml(yamlText);
  const template = parseTemplate(parsedYaml, source);
  const configuration = JSON.parse(JSON.stringify(toTemplateConfiguration(template))) as unknown;
  const context = { even_number: 6 };
  validateTaskContext(template, context); // compiles and caches the input schema
  const result = { value: 118, parts: { left: 46, right: 72 }, tags: ["a", "b"], note: "validated" };
  const claimed: ClaimedStep = {
    claimed: true,
    task: {
      task_uuid: message.task_uuid, namespace: "bench_noop", name: "noop_single", version: "1.0.0", context,
      correlation_id: message.correlation_id, parent_correlation_id: null, trace_context: null, priority: 0, tags: [],
    },
    step: {
      step_uuid: message.step_uuid, name: "only", template_step_name: "only", attempt: 1, max_attempts: 3, retryable: true, inputs: {},
      timeout_seconds: null, checkpoint: null,
    },
    dependency_results: { init: { value: 36 } },
  };
  const shutdown = new AbortController().signal;
  const noop = { callable: "only", fn: () => result, modulePath: "(inline)", exportName: "default" };
  const runner = createInlineRunner();
  // The same no-op through a handler thread: what the default isolation adds per call.
  const threads = createHandlerThreadPool({ maxIdle: 1, maxMemoryBytes: 512 * 1024 * 1024, abortGraceMs: 1000, logger: silentLogger });
  const benchNoop = { callable: "noop", fn: () => null, modulePath: join(REPO_ROOT, "bench", "handlers", "bench_noop", "noop.ts"), exportName: "default" };
  const execution = await executeStep({
    claimed, handler: noop, runner, timeoutMs: 5000, shutdownSignal: shutdown, workerId: "w", hostname: "h", logger: silentLogger,
  });

  const cases: Array<[string, () => unknown]> = [
    ["step message decode (JSON.parse + decodeStepMessage)", () => decodeStepMessage(JSON.parse(messageText))],
    ["step message encode (JSON.stringify)", () => JSON.stringify(message)],
    ["template parse + validate (complex_dag YAML text)", () => parseTemplate(parseYaml(yamlText), source)],
    ["template validate (already-parsed YAML)", () => parseTemplate(parsedYaml, source)],
    ["template from named_tasks.configuration", () => templateFromConfiguration(configuration)],
    ["task request: validateTaskContext (input_schema)", () => validateTaskContext(template, context)],
    ["task request: identityHash (strict)", () => identityHash("01900000-0000-7000-8000-000000000009", "strict", context, null)],
    ["result JSON validation (findNonJson)", () => findNonJson(result)],
    ["result serialisation (JSON.stringify StepExecutionResult)", () => JSON.stringify(execution.result)],
    ["executeStep around a no-op handler (async)", () => executeStep({
      claimed, handler: noop, runner, timeoutMs: 5000, shutdownSignal: shutdown, workerId: "w", hostname: "h", logger: silentLogger,
    })],
    ["executeStep around a no-op handler in a handler thread (async)", () => executeStep({
      claimed, handler: benchNoop, runner: threads, timeoutMs: 5000, shutdownSignal: shutdown, workerId: "w", hostname: "h", logger: silentLogger,
    })],
  ];

  const out: MicroResult[] = [];
  try {
    for (const [name, fn] of cases) {
      const isAsync = name.includes("(async)");
      const stats = await measure(
        isAsync ? async () => do_not_optimize(await (fn() as Promise<unknown>)) : () => do_not_optimize(fn()),
        { min_cpu_time: options.quick ? 50e6 : 500e6, max_samples: options.quick ? 2_000 : 100_000 },
      );
      const r = { name, p50Ns: stats.p50, avgNs: stats.avg, p99Ns: stats.p99, samples: stats.samples.length };
      out.push(r);
      options.log(`  ${name}: p50 ${fmtNs(r.p50Ns)}, avg ${fmtNs(r.avgNs)}, p99 ${fmtNs(r.p99Ns)}`);
    }
  } finally {
    await threads.close();
  }
  return out;
}

export function fmtNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(0)} ns`;
}
