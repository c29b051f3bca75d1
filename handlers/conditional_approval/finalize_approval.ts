import type { StepContext } from "tasker";

interface Approval {
  approved: boolean;
  approval_type: string;
}

/** Collects the approvals that exist (one or two, depending on the route) into the final decision. */
export default function finalizeApproval(ctx: StepContext) {
  const approvals = Object.values(ctx.dependencyResults).filter(
    (result): result is Approval => typeof result === "object" && result !== null && "approval_type" in result,
  );
  return {
    approved: approvals.length > 0 && approvals.every((a) => a.approved),
    approval_types: approvals.map((a) => a.approval_type).sort(),
    approval_count: approvals.length,
  };
}
