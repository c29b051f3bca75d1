import { deno } from "./denoApi.ts";

/**
 * Deno fires no event in the parent when a worker ends itself with `process.exit()` or
 * `Deno.exit()`: the worker just stops, and a step running in it would wait for its timeout.
 * So a Deno handler thread wraps both: the wrapper posts this notice, then exits for real
 * (a message posted before the exit is delivered). The parent side (handlerThreads.ts) turns
 * the notice into the `close` event with the exit code that Bun fires by itself.
 */
export interface ThreadExitNotice {
  readonly taskerThreadExit: true;
  readonly exitCode: number;
}

export function isThreadExitNotice(data: unknown): data is ThreadExitNotice {
  return typeof data === "object" && data !== null && (data as Partial<ThreadExitNotice>).taskerThreadExit === true;
}

/** Installs the wrappers in the calling thread; `post` sends the notice to the parent. */
export function reportThreadExits(post: (notice: ThreadExitNotice) => void): void {
  const api = deno();
  const denoExit = api.exit.bind(api);
  const processExit = process.exit.bind(process);
  let reported = false;
  const report = (code: number | string | null | undefined): void => {
    if (reported) return; // process.exit() calls Deno.exit(): one notice
    reported = true;
    const exitCode = Number(code ?? process.exitCode ?? 0);
    post({ taskerThreadExit: true, exitCode: Number.isInteger(exitCode) ? exitCode : 1 });
  };
  api.exit = (code) => {
    report(code);
    return denoExit(code);
  };
  process.exit = (code) => {
    report(code);
    return processExit(code);
  };
}
