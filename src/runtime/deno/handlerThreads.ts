import { deno } from "./denoApi.ts";
import { isThreadExitNotice } from "./threadExitNotice.ts";

/**
 * Bytes in this thread's V8 heap plus its external memory (ArrayBuffer contents): each Deno
 * worker is its own isolate, so this is the calling thread's alone.
 */
export function heapBytes(): number {
  const usage = deno().memoryUsage();
  return usage.heapUsed + usage.external;
}

/**
 * A handler thread: a Deno module Worker (its own isolate and event loop) running
 * handlerThreadEntry.ts. Deno fires `error` for an uncaught error as Bun does, but nothing
 * when the thread exits; the entry posts an exit notice instead, which this turns into what
 * Bun fires: the thread is terminated and a `close` CloseEvent carries the exit code. The
 * notice's listener is the thread's first, so later listeners never see the notice itself.
 */
export function startHandlerThread(name: string): Worker {
  const thread = new Worker(new URL("./handlerThreadEntry.ts", import.meta.url), { type: "module", name });
  thread.addEventListener("message", (event: MessageEvent<unknown>) => {
    if (!isThreadExitNotice(event.data)) return;
    event.stopImmediatePropagation();
    thread.terminate();
    thread.dispatchEvent(new CloseEvent("close", { code: event.data.exitCode }));
  });
  return thread;
}
