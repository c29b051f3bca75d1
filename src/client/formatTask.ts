import type { AbsentStep, TaskListResponse, TaskResponse, TaskStep } from "./apiTypes.ts";
import { formatFields, formatTable } from "./formatTable.ts";
import { formatTime, summarizeStepResult } from "./formatValue.ts";

/** The steps of a TaskResponse as a table. */
export function formatTaskSteps(steps: readonly TaskStep[]): string {
  if (steps.length === 0) return "no steps\n";
  return formatTable(steps, [
    { header: "step", value: (s) => s.name },
    { header: "state", value: (s) => s.current_state },
    { header: "attempts", value: (s) => `${s.attempts}/${s.max_attempts}`, align: "right" },
    { header: "after", value: (s) => (s.parents && s.parents.length > 0 ? afterColumn(s.parents) : "-") },
    { header: "created by", value: (s) => s.created_by ?? "-" },
    { header: "step uuid", value: (s) => s.workflow_step_uuid },
    { header: "result", value: (s) => summarizeStepResult(s.results) },
  ]);
}

/** Parents by name; a long list of batch steps is shortened. */
function afterColumn(parents: ReadonlyArray<{ name: string }>): string {
  const names = parents.map((p) => p.name);
  return names.length <= 3 ? names.join(",") : `${names.slice(0, 2).join(",")},+${names.length - 2} more`;
}

/** Template steps the task does not have, and why. */
export function formatAbsentSteps(absent: readonly AbsentStep[]): string {
  if (absent.length === 0) return "";
  return `\nnot in this task:\n${formatTable(absent, [
    { header: "step", value: (a) => a.name },
    { header: "why", value: (a) => a.reason },
  ])}`;
}

function progress(task: TaskResponse): string | undefined {
  if (task.total_steps === undefined) return undefined;
  const failed = task.failed_steps ? `, ${task.failed_steps} failed` : "";
  return `${task.completed_steps ?? 0}/${task.total_steps} complete${failed}`;
}

/** One task: its identity, state and steps. */
export function formatTask(task: TaskResponse): string {
  const header = formatFields([
    ["task", task.task_uuid],
    ["template", `${task.namespace}/${task.name} ${task.version}`],
    ["status", task.execution_status ? `${task.status} (${task.execution_status})` : task.status],
    ["steps", progress(task)],
    ["correlation id", task.correlation_id],
    ["created", formatTime(task.created_at)],
    ["completed", task.completed_at ? formatTime(task.completed_at) : undefined],
  ]);
  return `${header}\n${formatTaskSteps(task.steps ?? [])}${formatAbsentSteps(task.absent_steps ?? [])}`;
}

/** A page of tasks with its position. */
export function formatTaskList(list: TaskListResponse): string {
  const { pagination: p } = list;
  const footer = `page ${p.page} of ${Math.max(p.total_pages, 1)} (${p.total_count} task${p.total_count === 1 ? "" : "s"})\n`;
  if (list.tasks.length === 0) return `no tasks\n${footer}`;
  const table = formatTable(list.tasks, [
    { header: "task uuid", value: (t) => t.task_uuid },
    { header: "template", value: (t) => `${t.namespace}/${t.name}` },
    { header: "version", value: (t) => t.version },
    { header: "status", value: (t) => t.status },
    { header: "created", value: (t) => formatTime(t.created_at) },
  ]);
  return `${table}${footer}`;
}
