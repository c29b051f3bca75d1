import { templateGraph, type TemplateGraph } from "./templateGraph.ts";
import { TEMPLATE_LIMITS, type StepDefinition, type TaskTemplate } from "./taskTemplate.ts";
import { isRecord } from "../lib/isRecord.ts";

/** A step of the running task, as the plan needs it. */
export interface ExistingStep {
  name: string;
  /** The template step it was made from (a batch worker's `batch_worker` template; else its own name). */
  templateStepName: string;
  state: string;
}

/** Edge names, as tasker-core writes them. */
export type EdgeName = "provides" | "batch_dependency" | "worker_to_convergence";

/** A step a result creates, with everything `tasker.create_outcome_steps` inserts. */
export interface PlannedStep {
  name: string;
  templateStepName: string;
  position: number;
  retryable: boolean;
  maxAttempts: number;
  backoff: string;
  backoffBaseMs: number;
  maxBackoffMs: number;
  timeoutSeconds: number | null;
  inputs: Record<string, unknown>;
  /** Parents by step name (existing steps or steps of this plan), with the edge name. */
  parents: Array<{ name: string; edge: EdgeName }>;
}

/** An edge from a created step to a step that already exists and still waits (intersection semantics). */
export interface LateEdge {
  from: string;
  to: string;
  edge: EdgeName;
}

export type OutcomeType = "create_steps" | "no_branches" | "create_batches" | "no_batches";

export type OutcomePlan =
  | { kind: "none" }
  | { kind: "create"; outcome: OutcomeType; steps: PlannedStep[]; lateEdges: LateEdge[]; batchCount: number }
  | {
      kind: "invalid";
      errorType: "invalid_decision_outcome" | "invalid_batch_outcome";
      /** What was wrong, as a bounded metric label: malformed, step_not_found, invalid_descendant, ... */
      reason: InvalidReason;
      message: string;
    };

export type InvalidReason =
  | "malformed"
  | "step_not_found"
  | "invalid_descendant"
  | "nested_decision"
  | "missing_dependency"
  | "too_many_steps"
  | "depth_exceeded"
  | "invalid_worker_template"
  | "too_many_batches"
  | "name_conflict";

export interface OutcomeLimits {
  maxStepsPerDecision: number;
  maxDecisionDepth: number;
  maxBatchesPerAnalyzer: number;
}

export const DEFAULT_OUTCOME_LIMITS: Readonly<OutcomeLimits> = Object.freeze({
  maxStepsPerDecision: 100,
  maxDecisionDepth: 20,
  maxBatchesPerAnalyzer: 1000,
});

const BATCH_ID_PATTERN = /^[A-Za-z0-9_-]{1,40}$/;

const describe = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "a list" : typeof value === "string" ? `the string "${value.slice(0, 60)}"` : `a ${typeof value}`;

/** Whether a step's result carries an outcome that may create steps (decision and batchable steps always do). */
export function stepCreatesSteps(step: StepDefinition): boolean {
  return step.type === "decision" || step.type === "batchable";
}

/**
 * What a finished `decision` or `batchable` step's result creates in its task, decided from the
 * template and the task's current steps (read under the task's lock): the steps with their
 * parents, and edges to waiting steps that declared them. Nothing here touches the database.
 * An outcome that cannot be applied is `invalid`, with a message naming the step and the reason;
 * the step then fails permanently and nothing is created.
 */
export function planStepOutcome(
  template: TaskTemplate,
  completing: { name: string; templateStepName: string },
  result: unknown,
  existing: readonly ExistingStep[],
  limits: OutcomeLimits = DEFAULT_OUTCOME_LIMITS,
): OutcomePlan {
  const graph = templateGraph(template);
  const step = graph.step(completing.templateStepName);
  if (!step || !stepCreatesSteps(step)) return { kind: "none" };
  return step.type === "decision"
    ? planDecision(graph, step, completing.name, result, existing, limits)
    : planBatches(graph, step, completing.name, result, existing, limits);
}

type Invalid = (message: string, reason?: InvalidReason) => OutcomePlan;

function invalidFor(errorType: "invalid_decision_outcome" | "invalid_batch_outcome", label: string): Invalid {
  return (message, reason = "malformed") => ({ kind: "invalid", errorType, reason, message: `${label}: ${message}` });
}

/** The outcome object under `key` of a result, and its `type` (one of `types`), or why the result has none. */
function readOutcome(
  result: unknown,
  key: string,
  types: readonly string[],
  invalid: Invalid,
): { outcome: Record<string, unknown>; type: string } | OutcomePlan {
  if (!isRecord(result)) return invalid(`its result must be an object with ${key}, not ${describe(result)}`);
  const outcome = result[key];
  if (outcome === undefined) return invalid(`its result has no ${key}`);
  if (!isRecord(outcome)) return invalid(`${key} must be an object, not ${describe(outcome)}`);
  const type = outcome["type"];
  if (typeof type !== "string" || !types.includes(type)) {
    return invalid(`${key}.type must be ${types.map((t) => `"${t}"`).join(" or ")}, not ${describe(type)}`);
  }
  return { outcome, type };
}

function planDecision(
  graph: TemplateGraph,
  decision: StepDefinition,
  stepName: string,
  result: unknown,
  existing: readonly ExistingStep[],
  limits: OutcomeLimits,
): OutcomePlan {
  const invalid = invalidFor("invalid_decision_outcome", `decision step "${stepName}"`);
  const read = readOutcome(result, "decision_point_outcome", ["create_steps", "no_branches"], invalid);
  if ("kind" in read) return read;
  const { outcome, type } = read;
  if (type === "no_branches") return { kind: "create", outcome: "no_branches", steps: [], lateEdges: [], batchCount: 0 };
  const names = outcome["step_names"];
  if (!Array.isArray(names) || names.some((name) => typeof name !== "string")) {
    return invalid("decision_point_outcome.step_names must be a list of step names");
  }
  const requested = [...new Set(names as string[])];
  if (requested.length > limits.maxStepsPerDecision) {
    return invalid(`names ${requested.length} steps, more than max_steps_per_decision (${limits.maxStepsPerDecision})`, "too_many_steps");
  }
  const depth = graph.decisionDepth(decision.name);
  if (depth > limits.maxDecisionDepth) {
    return invalid(`is nested ${depth} decisions deep, more than max_decision_depth (${limits.maxDecisionDepth})`, "depth_exceeded");
  }
  const descendants = graph.descendants(decision.name);
  for (const name of requested) {
    const target = graph.step(name);
    if (!target) return invalid(`step "${name}" is not a step of template ${graph.template.name}`, "step_not_found");
    if (!descendants.has(name)) return invalid(`step "${name}" is not a descendant of this decision`, "invalid_descendant");
    if (target.type === "batch_worker") {
      return invalid(`step "${name}" is a batch_worker template; its steps are created by its batchable analyzer`, "invalid_descendant");
    }
    const nested = graph.gatingDecisions(name).find((d) => d !== decision.name && descendants.has(d));
    if (nested) return invalid(`step "${name}" is decided by the nested decision "${nested}"`, "nested_decision");
  }
  const existingNames = new Set(existing.map((s) => s.name));
  const seeds: PlannedStep[] = [];
  for (const name of requested) {
    if (existingNames.has(name)) continue; // created already (by another decision): nothing to do
    seeds.push(plannedStep(graph, graph.step(name)!, name, {}, "provides"));
  }
  const closed = closeOver(graph, seeds, existing);
  for (const planned of closed.steps) {
    if (!requested.includes(planned.name)) continue;
    const definition = graph.step(planned.templateStepName)!;
    const missing = definition.dependencies.find((dep) => !planned.parents.some((p) => p.name === dep || instanceOf(closed, p.name) === dep));
    if (missing !== undefined && definition.type !== "deferred_convergence") {
      return invalid(`step "${planned.name}" depends on "${missing}", which does not exist and is not created by this outcome`, "missing_dependency");
    }
  }
  return { kind: "create", outcome: "create_steps", steps: closed.steps, lateEdges: closed.lateEdges, batchCount: 0 };
}

/** The one batch_worker step that depends on the analyzer, when there is exactly one: what an outcome without `worker_template_name` means. */
function soleWorkerOf(graph: TemplateGraph, analyzer: StepDefinition): string | undefined {
  const workers = graph.template.steps.filter((s) => s.type === "batch_worker" && s.dependencies.includes(analyzer.name));
  return workers.length === 1 ? workers[0]!.name : undefined;
}

function planBatches(
  graph: TemplateGraph,
  analyzer: StepDefinition,
  stepName: string,
  result: unknown,
  existing: readonly ExistingStep[],
  limits: OutcomeLimits,
): OutcomePlan {
  const invalid = invalidFor("invalid_batch_outcome", `batchable step "${stepName}"`);
  const read = readOutcome(result, "batch_processing_outcome", ["create_batches", "no_batches"], invalid);
  if ("kind" in read) return read;
  const { outcome, type } = read;

  const workerTemplate = (name: unknown, where: string): StepDefinition | string => {
    if (typeof name !== "string" || name.length === 0) return `${where} must name the batch_worker step`;
    const worker = graph.step(name);
    if (!worker) return `${where} "${name}" is not a step of template ${graph.template.name}`;
    if (worker.type !== "batch_worker") return `${where} "${name}" is a ${worker.type} step, not a batch_worker`;
    if (!worker.dependencies.includes(analyzer.name)) return `${where} "${name}" does not depend on this analyzer`;
    return worker;
  };

  let worker: StepDefinition | undefined;
  let configs: Record<string, unknown>[] = [];
  if (type === "create_batches") {
    const found = workerTemplate(outcome["worker_template_name"] ?? soleWorkerOf(graph, analyzer), "worker_template_name");
    if (typeof found === "string") return invalid(found, "invalid_worker_template");
    worker = found;
    const raw = outcome["cursor_configs"];
    if (!Array.isArray(raw)) return invalid(`cursor_configs must be a list, not ${describe(raw)}`);
    if (raw.length > limits.maxBatchesPerAnalyzer) {
      return invalid(`asks for ${raw.length} batches, more than max_batches_per_analyzer (${limits.maxBatchesPerAnalyzer})`, "too_many_batches");
    }
    const count = outcome["worker_count"];
    if (count !== undefined && count !== raw.length) {
      return invalid(`worker_count ${JSON.stringify(count)} does not match the ${raw.length} cursor_configs`);
    }
    const seen = new Set<string>();
    for (const [index, config] of raw.entries()) {
      const where = `cursor_configs[${index}]`;
      if (!isRecord(config)) return invalid(`${where} must be an object, not ${describe(config)}`);
      const id = config["batch_id"];
      const batchId = typeof id === "number" && Number.isInteger(id) && id >= 0 ? String(id) : id;
      if (typeof batchId !== "string" || !BATCH_ID_PATTERN.test(batchId)) {
        return invalid(`${where}.batch_id must be a string of letters, digits, _ or - (up to 40), not ${describe(id)}`);
      }
      if (seen.has(batchId)) return invalid(`${where}.batch_id "${batchId}" is used by more than one batch`);
      seen.add(batchId);
      for (const key of ["start_cursor", "end_cursor"]) {
        if (!(key in config) || config[key] === undefined) return invalid(`${where}.${key} is required`);
      }
      const size = config["batch_size"];
      if (size !== undefined && !(typeof size === "number" && Number.isInteger(size) && size >= 0)) {
        return invalid(`${where}.batch_size must be a non-negative integer, not ${describe(size)}`);
      }
      configs.push({ ...config, batch_id: batchId });
    }
  }
  let noOp = false;
  if (configs.length === 0) {
    // No batches: a placeholder worker keeps the graph's shape when the template can be named
    // (tasker-core's rule); otherwise nothing is created and the task finishes without workers.
    const named = worker?.name ?? analyzer.handler.initialization["worker_template_name"];
    if (named === undefined) return { kind: "create", outcome: "no_batches", steps: [], lateEdges: [], batchCount: 0 };
    const found = workerTemplate(named, "handler.initialization.worker_template_name");
    if (typeof found === "string") return invalid(found, "invalid_worker_template");
    worker = found;
    configs = [{ batch_id: "000", start_cursor: 0, end_cursor: 0, batch_size: 0 }];
    noOp = true;
  }

  const existingNames = new Set(existing.map((s) => s.name));
  const batch = worker!.batchConfig;
  const seeds: PlannedStep[] = [];
  for (const config of configs) {
    const name = `${worker!.name}_${String(config["batch_id"])}`;
    if (name.length > TEMPLATE_LIMITS.stepNameLength) {
      return invalid(`batch step name "${name.slice(0, 60)}..." is longer than ${TEMPLATE_LIMITS.stepNameLength} characters`, "name_conflict");
    }
    if (graph.step(name) || existingNames.has(name)) return invalid(`batch step name "${name}" is already a step of this task or template`, "name_conflict");
    seeds.push(
      plannedStep(graph, worker!, name, {
        cursor: config,
        batch_metadata: {
          cursor_field: batch?.cursorField ?? "id",
          failure_strategy: batch?.failureStrategy ?? "continue_on_failure",
          batch_size: batch?.batchSize ?? null,
        },
        is_no_op: noOp,
      }, "batch_dependency"),
    );
  }
  const closed = closeOver(graph, seeds, existing);
  return {
    kind: "create",
    outcome: noOp ? "no_batches" : "create_batches",
    steps: closed.steps,
    lateEdges: closed.lateEdges,
    batchCount: noOp ? 0 : seeds.length,
  };
}

function plannedStep(
  graph: TemplateGraph,
  definition: StepDefinition,
  name: string,
  extraInputs: Record<string, unknown>,
  parentEdge: EdgeName,
): PlannedStep {
  return {
    name,
    templateStepName: definition.name,
    position: graph.position(definition.name),
    retryable: definition.retry.retryable,
    maxAttempts: definition.retry.maxAttempts,
    backoff: definition.retry.backoff,
    backoffBaseMs: definition.retry.backoffBaseMs,
    maxBackoffMs: definition.retry.maxBackoffMs,
    timeoutSeconds: definition.timeoutSeconds,
    inputs: { ...definition.handler.initialization, ...extraInputs },
    parents: definition.dependencies.map((dep) => ({ name: dep, edge: graph.step(dep)?.type === "batch_worker" ? "worker_to_convergence" : parentEdge })),
  };
}

interface Closure {
  steps: PlannedStep[];
  lateEdges: LateEdge[];
  templateOf: Map<string, string>;
}

const instanceOf = (closure: Closure, name: string): string | undefined => closure.templateOf.get(name);

/**
 * The created set, closed: every step that now has what it waits for. A `deferred_convergence`
 * step is created when any of its declared dependencies was just created and waits only for
 * those that exist (intersection semantics); another step is created when all of its
 * dependencies exist and one of them was just created. A decision's branches are created only
 * when named, and a dependency on a `batch_worker` template means every step made from it.
 */
function closeOver(graph: TemplateGraph, seeds: PlannedStep[], existing: readonly ExistingStep[]): Closure {
  const templateOf = new Map<string, string>(existing.map((s) => [s.name, s.templateStepName]));
  const fresh = new Set<string>();
  const steps: PlannedStep[] = [];
  const add = (planned: PlannedStep, resolvedParents: PlannedStep["parents"]): void => {
    steps.push({ ...planned, parents: resolvedParents });
    templateOf.set(planned.name, planned.templateStepName);
    fresh.add(planned.name);
  };
  /** The steps that satisfy a declared dependency: the step itself, or a batch template's steps. */
  const resolve = (dep: string): string[] => {
    if (graph.step(dep)?.type === "batch_worker") {
      return [...templateOf].filter(([name, t]) => t === dep && name !== dep).map(([name]) => name);
    }
    return templateOf.has(dep) ? [dep] : [];
  };
  const resolveParents = (planned: PlannedStep): PlannedStep["parents"] =>
    planned.parents.flatMap((p) => resolve(p.name).map((name) => ({ name, edge: p.edge })));

  // Seeds first (their parents must resolve against what exists plus the other seeds).
  for (const seed of seeds) templateOf.set(seed.name, seed.templateStepName);
  for (const seed of seeds) add(seed, resolveParents(seed));

  for (let changed = true; changed; ) {
    changed = false;
    for (const definition of graph.template.steps) {
      if (definition.type === "batch_worker" || templateOf.has(definition.name)) continue;
      const convergence = definition.type === "deferred_convergence";
      if (!convergence && definition.dependencies.some((dep) => graph.step(dep)?.type === "decision")) continue;
      const resolved = definition.dependencies.map(resolve);
      const touchesFresh = resolved.some((names) => names.some((name) => fresh.has(name)));
      if (!touchesFresh) continue;
      if (!convergence && resolved.some((names) => names.length === 0)) continue;
      const planned = plannedStep(graph, definition, definition.name, {}, "provides");
      add(planned, resolveParents(planned));
      changed = true;
    }
  }

  // Steps that exist and still wait, and declared a dependency that was just created.
  const lateEdges: LateEdge[] = [];
  for (const waiting of existing) {
    if (waiting.state !== "pending") continue;
    const definition = graph.step(waiting.templateStepName);
    if (!definition) continue;
    for (const dep of definition.dependencies) {
      for (const name of resolve(dep)) {
        if (fresh.has(name)) {
          lateEdges.push({ from: name, to: waiting.name, edge: graph.step(dep)?.type === "batch_worker" ? "worker_to_convergence" : "provides" });
        }
      }
    }
  }
  return { steps, lateEdges, templateOf };
}
