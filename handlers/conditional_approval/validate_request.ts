import { PermanentError, type StepContext } from "tasker";

/** Checks the request: a positive amount, a requester and a purpose. */
export default function validateRequest(ctx: StepContext) {
  const { amount, requester, purpose } = ctx.context as { amount?: unknown; requester?: unknown; purpose?: unknown };
  if (typeof amount !== "number" || !(amount > 0)) throw new PermanentError(`amount must be a positive number, not ${String(amount)}`);
  if (typeof requester !== "string" || requester.trim() === "") throw new PermanentError("requester is empty");
  if (typeof purpose !== "string" || purpose.trim() === "") throw new PermanentError("purpose is empty");
  return { validated: true, amount, requester, purpose };
}
