import type { StepContext } from "tasker";

/** Waits `ms` or until the signal aborts, whichever comes first; rejects on abort. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    }, { once: true });
  });
}

/** On attempt 1 hangs for `inputs.hang_seconds` (longer than the step timeout); later attempts return at once. */
export default async function slow_step(ctx: StepContext) {
  if (ctx.step.attempt === 1) {
    const hangSeconds = (ctx.step.inputs["hang_seconds"] as number | undefined) ?? 30;
    ctx.log.info("hanging on purpose", { hang_seconds: hangSeconds });
    await sleep(hangSeconds * 1000, ctx.signal);
  }
  return { attempts: ctx.step.attempt };
}
