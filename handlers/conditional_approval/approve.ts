import type { StepContext } from "tasker";

/** One approval; `approval_type` (automatic, manager, finance) comes from the step's initialization. */
export default function approve(ctx: StepContext) {
  const configured = ctx.step.inputs["approval_type"];
  const approvalType = typeof configured === "string" ? configured : "manual";
  return {
    approved: true,
    approval_type: approvalType,
    approver: approvalType === "automatic" ? "system" : `${approvalType}@example.com`,
    amount: ctx.context["amount"],
  };
}
