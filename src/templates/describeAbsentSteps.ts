import type { ExistingStep } from "./planStepOutcome.ts";
import { templateGraph } from "./templateGraph.ts";
import type { StepType, TaskTemplate } from "./taskTemplate.ts";

/** A template step that is not a step of the task, and why. */
export interface AbsentStep {
  name: string;
  type: StepType;
  code: "batch_template" | "not_chosen" | "awaiting_decision" | "awaiting_batches" | "dependencies_not_created";
  reason: string;
}

const FINISHED = new Set(["complete", "resolved_manually", "error", "cancelled"]);

/**
 * Why each template step that a task does not have is missing: a batch template (never a step
 * itself), a branch its decision did not choose, a step that waits for a decision or an analyzer
 * still to finish, or a step whose dependencies were not created.
 */
export function describeAbsentSteps(template: TaskTemplate, existing: readonly ExistingStep[]): AbsentStep[] {
  const graph = templateGraph(template);
  const stateOf = new Map(existing.map((s) => [s.name, s.state]));
  const instances = (name: string) => existing.filter((s) => s.templateStepName === name && s.name !== name);
  const exists = (name: string) =>
    graph.step(name)?.type === "batch_worker" ? instances(name).length > 0 : stateOf.has(name);

  /** The nearest decision or batchable ancestor that has not decided yet (not created, or not finished). */
  const undecidedCreator = (name: string): { name: string; type: StepType; state: string | undefined } | undefined => {
    const seen = new Set<string>();
    let frontier = [...(graph.step(name)?.dependencies ?? [])];
    while (frontier.length > 0) {
      const next: string[] = [];
      for (const current of frontier) {
        if (seen.has(current)) continue;
        seen.add(current);
        const step = graph.step(current);
        if (!step) continue;
        const state = stateOf.get(current);
        if ((step.type === "decision" || step.type === "batchable") && !FINISHED.has(state ?? "")) {
          return { name: current, type: step.type, state };
        }
        next.push(...step.dependencies);
      }
      frontier = next;
    }
    return undefined;
  };

  const absent: AbsentStep[] = [];
  for (const step of template.steps) {
    if (stateOf.has(step.name)) continue;
    const base = { name: step.name, type: step.type };
    if (step.type === "batch_worker") {
      const made = instances(step.name);
      const analyzer = step.dependencies.find((d) => graph.step(d)?.type === "batchable") ?? "its analyzer";
      absent.push({
        ...base,
        code: "batch_template",
        reason:
          made.length > 0
            ? `a batch_worker template, never a step itself: ${made.length} batch step(s) were made from it by ${analyzer}`
            : `a batch_worker template, never a step itself: its batch steps are made by ${analyzer}'s outcome`,
      });
      continue;
    }
    const decision = step.dependencies.find((d) => graph.step(d)?.type === "decision");
    const decisionState = decision === undefined ? undefined : stateOf.get(decision);
    if (decision !== undefined && step.type !== "deferred_convergence" && decisionState !== undefined && FINISHED.has(decisionState)) {
      absent.push({ ...base, code: "not_chosen", reason: `not chosen by ${decision}` });
      continue;
    }
    const creator = undecidedCreator(step.name);
    if (creator) {
      const when = creator.state === undefined ? "which does not exist yet" : `which is ${creator.state}`;
      absent.push(
        creator.type === "decision"
          ? { ...base, code: "awaiting_decision", reason: `created if decision ${creator.name} leads to it (${when})` }
          : { ...base, code: "awaiting_batches", reason: `waits for the batch steps that ${creator.name} creates (${when})` },
      );
      continue;
    }
    const missing = step.dependencies.filter((d) => !exists(d));
    absent.push({
      ...base,
      code: "dependencies_not_created",
      reason:
        step.type === "deferred_convergence"
          ? `deferred convergence: none of its dependencies (${step.dependencies.join(", ")}) was created`
          : `depends on ${missing.join(", ")}, which ${missing.length === 1 ? "was" : "were"} not created`,
    });
  }
  return absent;
}
