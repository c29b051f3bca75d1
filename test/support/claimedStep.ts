import type { ClaimedStep } from "../../src/worker/stepRepository.ts";

/** A claimed step as `tasker.claim_step` returns it, for executor tests that need no database. */
export function claimedStep(
  overrides: {
    name?: string;
    attempt?: number;
    context?: Record<string, unknown>;
    dependencyResults?: Record<string, unknown>;
    checkpoint?: ClaimedStep["step"]["checkpoint"];
  } = {},
): ClaimedStep {
  return {
    claimed: true,
    task: {
      task_uuid: "01a20000-0000-7000-8000-000000000001",
      namespace: "unit",
      name: "unit_task",
      version: "1.0.0",
      context: overrides.context ?? {},
      correlation_id: "01a20000-0000-7000-8000-000000000002",
      parent_correlation_id: null,
      trace_context: null,
      priority: 0,
      tags: [],
    },
    step: {
      step_uuid: "01a20000-0000-7000-8000-000000000003",
      name: overrides.name ?? "unit_step",
      template_step_name: overrides.name ?? "unit_step",
      attempt: overrides.attempt ?? 1,
      max_attempts: 3,
      retryable: true,
      inputs: {},
      timeout_seconds: null,
      checkpoint: overrides.checkpoint ?? null,
    },
    dependency_results: overrides.dependencyResults ?? {},
  };
}
