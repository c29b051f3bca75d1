import { toError } from "../lib/errors.ts";
import type { Logger } from "../telemetry/logger.ts";

export type LifecycleState = "created" | "starting" | "running" | "draining" | "stopped";

export interface ProcessLifecycle {
  readonly state: LifecycleState;
  /** Aborted when draining begins; every loop, query and handler receives it. */
  readonly signal: AbortSignal;
  /** Registered cleanups run in reverse order on shutdown. */
  onShutdown(name: string, cleanup: () => Promise<void> | void): void;
  markStarting(): void;
  markRunning(): void;
  /** Drains and stops; safe to call more than once (later calls share the first). */
  shutdown(reason: string): Promise<void>;
  /** Resolves when the process has stopped. */
  readonly stopped: Promise<void>;
}

export interface LifecycleOptions {
  logger: Logger;
  shutdownTimeoutMs: number;
  /** Called when shutdown hangs past the timeout; exits the process by default. */
  onHang?: (pending: string[]) => void;
}

export function createProcessLifecycle(options: LifecycleOptions): ProcessLifecycle {
  const controller = new AbortController();
  const cleanups: Array<{ name: string; run: () => Promise<void> | void }> = [];
  let state: LifecycleState = "created";
  let shutdownPromise: Promise<void> | undefined;
  let resolveStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });
  const logger = options.logger.child({ component: "lifecycle" });

  const transition = (next: LifecycleState): void => {
    logger.debug("lifecycle state changed", { from_state: state, to_state: next });
    state = next;
  };

  const runShutdown = async (reason: string): Promise<void> => {
    transition("draining");
    logger.info("shutting down", { reason });
    controller.abort(new Error(`shutdown: ${reason}`));
    const pending = new Set(cleanups.map((c) => c.name));
    const watchdog = setTimeout(() => {
      const names = [...pending];
      logger.fatal("shutdown hung; exiting", { pending: names, timeout_ms: options.shutdownTimeoutMs });
      (options.onHang ?? (() => process.exit(1)))(names);
    }, options.shutdownTimeoutMs);
    for (const cleanup of [...cleanups].reverse()) {
      try {
        await cleanup.run();
      } catch (error) {
        logger.error("cleanup failed", { cleanup: cleanup.name, error: toError(error) });
      }
      pending.delete(cleanup.name);
    }
    clearTimeout(watchdog);
    transition("stopped");
    resolveStopped();
  };

  return {
    get state() {
      return state;
    },
    signal: controller.signal,
    stopped,
    onShutdown(name, run) {
      cleanups.push({ name, run });
    },
    markStarting() {
      transition("starting");
    },
    markRunning() {
      transition("running");
    },
    shutdown(reason) {
      shutdownPromise ??= runShutdown(reason);
      return shutdownPromise;
    },
  };
}
