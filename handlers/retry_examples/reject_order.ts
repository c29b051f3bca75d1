import { PermanentError } from "tasker";

/** Fails permanently: no attempt can fix this, so the step is not retried. */
export default function reject_order(): never {
  throw new PermanentError("order rejected: payment method is not accepted", {
    errorType: "order_rejected",
    metadata: { reason: "payment_method" },
  });
}
