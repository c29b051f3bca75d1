import { toError } from "../lib/errors.ts";
import type { Logger } from "../telemetry/logger.ts";

export interface PeriodicLoop {
  start(): void;
  /** Runs an iteration now (coalesced with one already running). */
  trigger(): void;
  stop(): Promise<void>;
}

/**
 * Runs `iteration` every `intervalMs`, never two at once. A failed iteration is
 * logged and the loop goes on.
 */
export function createPeriodicLoop(name: string, intervalMs: number, iteration: () => Promise<void>, logger: Logger): PeriodicLoop {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let current: Promise<void> | undefined;
  let stopped = false;
  let again = false;

  const run = (): void => {
    if (stopped) return;
    if (current) {
      again = true;
      return;
    }
    if (timer) clearTimeout(timer);
    current = iteration()
      .catch((error: unknown) => logger.error(`${name} iteration failed`, { loop: name, error: toError(error) }))
      .finally(() => {
        current = undefined;
        if (stopped) return;
        if (again) {
          again = false;
          run();
        } else {
          timer = setTimeout(run, intervalMs);
        }
      });
  };

  return {
    start() {
      timer = setTimeout(run, intervalMs);
    },
    trigger: run,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current;
    },
  };
}
