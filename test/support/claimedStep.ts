import { testClaimedStep } from "../../src/testing/handlerTest.ts";
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
  const claimed = testClaimedStep({
    namespace: "unit",
    templateName: "unit_task",
    stepName: overrides.name ?? "unit_step",
    ...(overrides.attempt === undefined ? {} : { attempt: overrides.attempt }),
    ...(overrides.context === undefined ? {} : { context: overrides.context }),
    ...(overrides.dependencyResults === undefined ? {} : { dependencyResults: overrides.dependencyResults }),
  });
  return { ...claimed, step: { ...claimed.step, checkpoint: overrides.checkpoint ?? null } };
}
