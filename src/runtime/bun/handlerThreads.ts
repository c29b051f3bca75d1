/**
 * Bytes in this thread's JavaScript heap (its own VM; ArrayBuffer contents included).
 * `bun:jsc` is required on first use, not imported, so Deno can load this module.
 */
export function heapBytes(): number {
  const jsc = import.meta.require("bun:jsc") as typeof import("bun:jsc");
  return jsc.heapSize();
}

/** Whether this code runs from a `bun build --compile` binary (its modules live in /$bunfs/). */
function isCompiled(): boolean {
  return import.meta.url.includes("/$bunfs/");
}

/**
 * The handler thread's entry module. In the binary it is a second entry point of the build
 * (package.json "build"), stored relative to src/ beside the main entry; from source it is
 * the .ts file itself.
 */
export function handlerThreadUrl(): URL {
  return isCompiled()
    ? new URL("./worker/isolation/handlerThread.ts", import.meta.url)
    : new URL("../../worker/isolation/handlerThread.ts", import.meta.url);
}

/**
 * A handler thread: a Bun Worker (its own event loop and heap) that can be terminated mid-loop.
 * Bun fires `close` with the exit code when a handler calls process.exit().
 */
export function startHandlerThread(name: string): Worker {
  return new Worker(handlerThreadUrl(), { name });
}
