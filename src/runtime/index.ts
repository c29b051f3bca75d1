/**
 * The only place that calls Bun-specific APIs. Everything else uses web-standard
 * APIs and `node:` built-ins, so a Deno entry point can provide this module's
 * exports without touching the domains.
 */
export { serveHttp, type HttpServer } from "./serveHttp.ts";
export { parseToml, parseYaml } from "./parse.ts";
export { readTextFile, fileExists } from "./files.ts";
export { runtimeInfo } from "./runtimeInfo.ts";
export { listDirectory, resolveRealPath, isDirectory, type DirectoryEntry, type DirectoryEntryKind } from "./directories.ts";
export { registerSdkModule, SDK_MODULE_NAME } from "./registerSdkModule.ts";
export { heapBytes, startHandlerThread } from "./handlerThreads.ts";
