/**
 * What tasker needs from the JavaScript runtime it runs on. Bun (`bun/`) and Deno (`deno/`)
 * each provide all of it; `index.ts` picks one at start-up and the domains see only this.
 */
export interface HttpServer {
  readonly port: number;
  readonly hostname: string;
  stop(): Promise<void>;
}

export interface ServeOptions {
  hostname: string;
  port: number;
  fetch: (request: Request) => Response | Promise<Response>;
  /** Largest request body accepted by the server itself (bytes). */
  maxRequestBodySize?: number;
}

export interface Runtime {
  readonly name: "bun" | "deno";
  readonly version: string;
  serveHttp: (options: ServeOptions) => HttpServer;
  parseToml: (text: string) => Record<string, unknown>;
  parseYaml: (text: string) => unknown;
  /**
   * Makes the modules `tasker` and `@tasker-systems/tasker` importable by handler files loaded
   * from disk at run time, as this process's own SDK modules (so `instanceof PermanentError`
   * holds). Idempotent; call before the first `import()` of a handler file.
   */
  registerSdkModule: () => void;
  /** Bytes in the calling thread's JavaScript heap (each handler thread has its own). */
  heapBytes: () => number;
  /**
   * Starts a handler thread: a Worker with its own event loop and heap that can be terminated
   * mid-loop. It posts the handler thread's messages, fires `error` for an uncaught error and
   * `close` (a CloseEvent with the exit code) when the handler ends it (`process.exit()`).
   */
  startHandlerThread: (name: string) => Worker;
}
