import type { StepDefinition, TaskTemplate } from "./taskTemplate.ts";

/**
 * The dependency graph of a template, and the rules for which steps exist when
 * (reference 5.4, 9.1, 9.2):
 * - A `decision` step's descendants are not created with the task; its outcome names the
 *   branches (its direct children) to create.
 * - A `batch_worker` step is a template: never created itself; its analyzer's outcome creates
 *   one step per batch. Its descendants wait for those steps.
 * - Everything else is created with the task (the initial set).
 */
export interface TemplateGraph {
  readonly template: TaskTemplate;
  step(name: string): StepDefinition | undefined;
  /** Index of the step in the template (its `position`). */
  position(name: string): number;
  /** Steps that list `name` among their dependencies, in template order. */
  children(name: string): readonly StepDefinition[];
  /** Every step reachable from `name` along dependency edges (not `name` itself). */
  descendants(name: string): ReadonlySet<string>;
  /** Steps created with the task, in template order. */
  initialStepNames(): readonly string[];
  /** Decision steps among `name` and its ancestors, counted along the deepest path (0: none). */
  decisionDepth(name: string): number;
  /** The nearest decisions that gate `name`: decisions whose branch `name` is or lies behind. */
  gatingDecisions(name: string): readonly string[];
}

const graphs = new WeakMap<TaskTemplate, TemplateGraph>();

/** The graph of a template (computed once per template object). */
export function templateGraph(template: TaskTemplate): TemplateGraph {
  const cached = graphs.get(template);
  if (cached) return cached;
  const graph = buildGraph(template);
  graphs.set(template, graph);
  return graph;
}

function buildGraph(template: TaskTemplate): TemplateGraph {
  const byName = new Map(template.steps.map((step, index) => [step.name, { step, index }]));
  const children = new Map<string, StepDefinition[]>();
  for (const step of template.steps) {
    for (const dependency of step.dependencies) {
      const list = children.get(dependency) ?? [];
      list.push(step);
      children.set(dependency, list);
    }
  }
  const descendantsCache = new Map<string, ReadonlySet<string>>();
  const descendants = (name: string): ReadonlySet<string> => {
    const known = descendantsCache.get(name);
    if (known) return known;
    const found = new Set<string>();
    const stack = [name];
    while (stack.length > 0) {
      for (const child of children.get(stack.pop()!) ?? []) {
        if (!found.has(child.name)) {
          found.add(child.name);
          stack.push(child.name);
        }
      }
    }
    descendantsCache.set(name, found);
    return found;
  };

  const dynamic = new Set<string>();
  for (const step of template.steps) {
    if (step.type === "decision") for (const name of descendants(step.name)) dynamic.add(name);
    if (step.type === "batch_worker") {
      dynamic.add(step.name);
      for (const name of descendants(step.name)) dynamic.add(name);
    }
  }
  const initial = template.steps.filter((step) => !dynamic.has(step.name)).map((step) => step.name);

  const depthCache = new Map<string, number>();
  const decisionDepth = (name: string): number => {
    const known = depthCache.get(name);
    if (known !== undefined) return known;
    const step = byName.get(name)?.step;
    if (!step) return 0;
    depthCache.set(name, 0); // the template is acyclic (validated); this only guards recursion
    const parents = Math.max(0, ...step.dependencies.map(decisionDepth));
    const depth = parents + (step.type === "decision" ? 1 : 0);
    depthCache.set(name, depth);
    return depth;
  };

  const gatingDecisions = (name: string): string[] => {
    const found = new Set<string>();
    const seen = new Set<string>();
    const stack = [...(byName.get(name)?.step.dependencies ?? [])];
    while (stack.length > 0) {
      const current = stack.pop()!;
      if (seen.has(current)) continue;
      seen.add(current);
      const step = byName.get(current)?.step;
      if (!step) continue;
      if (step.type === "decision") found.add(current);
      else stack.push(...step.dependencies);
    }
    return [...found];
  };

  return {
    template,
    step: (name) => byName.get(name)?.step,
    position: (name) => byName.get(name)?.index ?? template.steps.length,
    children: (name) => children.get(name) ?? [],
    descendants,
    initialStepNames: () => initial,
    decisionDepth,
    gatingDecisions,
  };
}
