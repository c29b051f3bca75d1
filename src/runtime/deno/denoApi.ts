/**
 * The part of the `Deno` global tasker uses, typed here because the project type-checks
 * against Bun's types. Only the deno/ adapter calls it.
 */
export interface DenoHttpServer {
  readonly addr: { hostname: string; port: number };
  shutdown(): Promise<void>;
}

export interface DenoServeOptions {
  hostname: string;
  port: number;
  onListen: (addr: { hostname: string; port: number }) => void;
  handler: (request: Request) => Response | Promise<Response>;
}

export interface DenoApi {
  readonly version: { deno: string };
  serve(options: DenoServeOptions): DenoHttpServer;
  memoryUsage(): { rss: number; heapTotal: number; heapUsed: number; external: number };
  /** Replaceable: a handler thread wraps it to report the exit first (threadExitNotice.ts). */
  exit: (code?: number) => never;
}

/** The running Deno's API; undefined on any other runtime. */
export function findDeno(): DenoApi | undefined {
  return (globalThis as { Deno?: DenoApi }).Deno;
}

export function deno(): DenoApi {
  const api = findDeno();
  if (!api) throw new Error("the Deno runtime adapter was called outside Deno");
  return api;
}
