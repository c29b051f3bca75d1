import type { AbsentStep, StepExplanation, StepResponse } from "./apiTypes.ts";
import { formatFields, formatTable } from "./formatTable.ts";
import { formatTime, summarizeStepResult } from "./formatValue.ts";

/** The steps of a task (GET .../workflow_steps) as a table. */
export function formatStepList(steps: readonly StepResponse[]): string {
  if (steps.length === 0) return "no steps\n";
  return formatTable(steps, [
    { header: "step", value: (s) => s.name },
    { header: "state", value: (s) => s.current_state },
    { header: "attempts", value: (s) => `${s.attempts}/${s.max_attempts}`, align: "right" },
    { header: "step uuid", value: (s) => s.step_uuid },
    { header: "result", value: (s) => summarizeStepResult(s.results) },
  ]);
}

/** One step with its readiness fields and full stored result. */
export function formatStep(step: StepResponse): string {
  const yesNo = (value: boolean | undefined) => (value === undefined ? undefined : value ? "yes" : "no");
  const fields = formatFields([
    ["step", `${step.name} (${step.step_uuid})`],
    ["task", step.task_uuid],
    ["state", step.current_state],
    ["attempts", `${step.attempts} of ${step.max_attempts}`],
    ["dependencies met", yesNo(step.dependencies_satisfied)],
    ["retry eligible", yesNo(step.retry_eligible)],
    ["last attempted", step.last_attempted_at ? formatTime(step.last_attempted_at) : undefined],
    ["next retry", step.next_retry_at ? formatTime(step.next_retry_at) : undefined],
    ["completed", step.completed_at ? formatTime(step.completed_at) : undefined],
  ]);
  const results =
    step.results === null || step.results === undefined
      ? "results: none\n"
      : `results:\n${indent(JSON.stringify(step.results, null, 2))}\n`;
  return `${fields}${results}`;
}

/** A step action's outcome in one line. */
export function formatStepAction(verb: string, step: StepResponse): string {
  return `${verb} step ${step.name} (${step.step_uuid}); it is now ${step.current_state}\n`;
}

/** Why a step is or is not running, one reason per line. */
/** A template step the task does not have, and why (`tasker step explain <task> <name>`). */
export function formatAbsentStep(absent: AbsentStep): string {
  return `step ${absent.name} is not in this task\n  - ${absent.code}: ${absent.reason}\n`;
}

export function formatExplanation(explanation: StepExplanation): string {
  const name = explanation.name ? `${explanation.name} (${explanation.step_uuid})` : explanation.step_uuid;
  const task = explanation.task_state ? `; task is ${explanation.task_state}` : "";
  const head = `step ${name} is ${explanation.state}${explanation.running ? ", running now" : ", not running"}${task}\n`;
  if (explanation.reasons.length === 0) return head;
  return head + explanation.reasons.map((r) => `  - ${r.code}: ${r.message}\n`).join("");
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");
}
