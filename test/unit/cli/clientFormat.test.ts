import { describe, expect, test } from "bun:test";
import type { TaskResponse } from "../../../src/client/apiTypes.ts";
import { formatDlqList } from "../../../src/client/formatDlq.ts";
import { formatExplanation, formatStep, formatStepList } from "../../../src/client/formatStep.ts";
import { formatTable } from "../../../src/client/formatTable.ts";
import { formatTask, formatTaskList } from "../../../src/client/formatTask.ts";
import { formatTemplate, formatTemplateList } from "../../../src/client/formatTemplate.ts";
import { formatTime, summarizeStepResult } from "../../../src/client/formatValue.ts";

const TASK: TaskResponse = {
  task_uuid: "01a20866-ffe5-722f-b997-13182a372b09",
  name: "mathematical_sequence",
  namespace: "linear_workflow",
  version: "1.0.0",
  status: "blocked_by_failures",
  execution_status: "blocked_by_failures",
  correlation_id: "01a20866-ffe5-722f-b997-165fae591787",
  created_at: "2026-11-23T12:34:57.123456+00:00",
  completed_at: null,
  total_steps: 2,
  completed_steps: 1,
  failed_steps: 1,
  steps: [
    {
      workflow_step_uuid: "01a20866-ffea-71a6-bc73-f2a42fe696bc",
      name: "linear_step_1",
      current_state: "complete",
      attempts: 1,
      max_attempts: 3,
      results: { success: true, result: { value: 36 }, error: null },
    },
    {
      workflow_step_uuid: "01a20866-ffeb-7e49-809d-52fd65440130",
      name: "linear_step_2",
      current_state: "error",
      attempts: 3,
      max_attempts: 3,
      results: { success: false, result: null, error: { error_type: "TypeError", message: "boom" } },
    },
  ],
};

describe("formatting", () => {
  test("tables_align_columns_right_align_numbers_and_do_not_pad_the_last_column", () => {
    const text = formatTable(
      [{ a: "x", n: 5 }, { a: "longer", n: 12 }],
      [{ header: "name", value: (r) => r.a }, { header: "count", value: (r) => String(r.n), align: "right" }],
    );
    expect(text).toBe("NAME    COUNT\nx           5\nlonger     12\n");
  });

  test("a_task_shows_its_state_progress_and_each_step_with_result_or_error", () => {
    const text = formatTask(TASK);
    expect(text).toContain("status:          blocked_by_failures (blocked_by_failures)");
    expect(text).toContain("steps:           1/2 complete, 1 failed");
    expect(text).toContain("created:         2026-11-23T12:34:57Z");
    expect(text).not.toContain("completed:");
    expect(text).toMatch(/linear_step_1\s+complete\s+1\/3\s+-\s+-\s+01a20866-ffea-71a6-bc73-f2a42fe696bc\s+\{"value":36\}/);
    expect(text).toMatch(/linear_step_2\s+error\s+3\/3\s+-\s+-\s+\S+\s+TypeError: boom/);
  });

  test("a_dynamic_task_shows_who_created_each_step_its_parents_and_the_steps_it_does_not_have", () => {
    const text = formatTask({
      ...TASK,
      steps: [
        { ...TASK.steps[0]!, name: "routing", parents: [], created_by: null },
        { ...TASK.steps[1]!, name: "auto_approve", parents: [{ name: "routing", edge: "provides" }], created_by: "routing" },
        {
          ...TASK.steps[1]!,
          name: "aggregate",
          parents: ["b_1", "b_2", "b_3", "b_4"].map((name) => ({ name, edge: "worker_to_convergence" })),
          created_by: "analyze",
        },
      ],
      absent_steps: [{ name: "manager_approval", type: "standard", code: "not_chosen", reason: "not chosen by routing" }],
    });
    expect(text).toMatch(/auto_approve\s+error\s+3\/3\s+routing\s+routing\s/);
    expect(text).toMatch(/aggregate\s+error\s+3\/3\s+b_1,b_2,\+2 more\s+analyze\s/);
    expect(text).toContain("not in this task:");
    expect(text).toMatch(/manager_approval\s+not chosen by routing/);
  });

  test("a_task_list_ends_with_its_page", () => {
    const text = formatTaskList({ tasks: [TASK], pagination: { page: 1, per_page: 25, total_count: 1, total_pages: 1, has_next: false } });
    expect(text).toContain("linear_workflow/mathematical_sequence");
    expect(text.trimEnd().split("\n").at(-1)).toBe("page 1 of 1 (1 task)");
    expect(formatTaskList({ tasks: [], pagination: { page: 1, per_page: 25, total_count: 0, total_pages: 0, has_next: false } }))
      .toBe("no tasks\npage 1 of 1 (0 tasks)\n");
  });

  test("steps_explanations_templates_and_dlq_entries_have_readable_forms", () => {
    const step = {
      step_uuid: "s-1", task_uuid: "t-1", name: "linear_step_2", current_state: "error", attempts: 3, max_attempts: 3,
      dependencies_satisfied: true, retry_eligible: false, results: { error: { message: "boom" } },
    };
    expect(formatStepList([step])).toContain("linear_step_2  error");
    const detail = formatStep(step);
    expect(detail).toContain("attempts:          3 of 3");
    expect(detail).toContain("retry eligible:    no");
    expect(detail).toContain('"message": "boom"');
    expect(formatExplanation({
      step_uuid: "s-1", name: "linear_step_3", state: "pending", task_state: "steps_in_process", running: false,
      reasons: [{ code: "unmet_dependencies", message: "waiting for linear_step_2 (in_progress)" }],
    })).toBe(
      "step linear_step_3 (s-1) is pending, not running; task is steps_in_process\n  - unmet_dependencies: waiting for linear_step_2 (in_progress)\n",
    );
    expect(formatTemplateList({ namespaces: [], templates: [{ namespace: "ns", name: "t", version: "1.0.0", step_count: 4 }], total_count: 1 }))
      .toBe("NAMESPACE  NAME  VERSION  STEPS  DESCRIPTION\nns         t     1.0.0        4\n");
    expect(formatTemplate({ namespace: "ns", name: "t", version: "1.0.0", steps: [{ name: "a", default_retryable: true, default_max_attempts: 3 }] }))
      .toContain("a     yes                   3");
    expect(formatDlqList([])).toBe("no DLQ entries\n");
    expect(formatDlqList([{
      dlq_entry_uuid: "d-1", task_uuid: "t-1", original_state: "steps_in_process", dlq_reason: "StalenessTimeout",
      dlq_timestamp: "2026-01-02T03:04:05.678Z", resolution_status: "Pending",
    }])).toContain("d-1             t-1        StalenessTimeout  steps_in_process  Pending  2026-01-02T03:04:05Z");
  });

  test("values_absent_or_long_are_shown_short", () => {
    expect(formatTime(null)).toBe("-");
    expect(formatTime("not a time")).toBe("not a time");
    expect(summarizeStepResult(null)).toBe("-");
    expect(summarizeStepResult({ result: { text: "x".repeat(100) } }, 20)).toBe(`{"text":"${"x".repeat(10)}…`);
  });
});
