/**
 * The seam between tasker and the JavaScript runtime: the only place that chooses Bun or Deno
 * (Deno where `globalThis.Deno` exists). Each runtime's calls live in its own folder (bun/,
 * deno/), and neither is used before it is chosen, so each loads on the other; everything else
 * uses web-standard APIs and `node:` built-ins and imports from here.
 */
import { bunRuntime } from "./bun/bunRuntime.ts";
import { denoRuntime } from "./deno/denoRuntime.ts";
import type { Runtime } from "./runtime.ts";

const runtime: Runtime = "Deno" in globalThis ? denoRuntime() : bunRuntime();

export type { HttpServer, ServeOptions } from "./runtime.ts";
export { SDK_MODULE_NAME, COMPAT_MODULE_NAME } from "./sdkModuleNames.ts";
export { readTextFile, fileExists } from "./files.ts";
export { listDirectory, resolveRealPath, isDirectory, type DirectoryEntry, type DirectoryEntryKind } from "./directories.ts";

export const serveHttp = runtime.serveHttp;
export const parseToml = runtime.parseToml;
export const parseYaml = runtime.parseYaml;
export const registerSdkModule = runtime.registerSdkModule;
export const heapBytes = runtime.heapBytes;
export const startHandlerThread = runtime.startHandlerThread;

export function runtimeInfo(): { name: Runtime["name"]; version: string } {
  return { name: runtime.name, version: runtime.version };
}
