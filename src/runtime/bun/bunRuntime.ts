import type { Runtime } from "../runtime.ts";
import { heapBytes, startHandlerThread } from "./handlerThreads.ts";
import { parseToml, parseYaml } from "./parse.ts";
import { registerSdkModule } from "./registerSdkModule.ts";
import { serveHttp } from "./serveHttp.ts";

/** Bun: Bun.serve, Bun.YAML/Bun.TOML, Bun Workers, Bun.plugin virtual modules. */
export function bunRuntime(): Runtime {
  return { name: "bun", version: Bun.version, serveHttp, parseToml, parseYaml, registerSdkModule, heapBytes, startHandlerThread };
}
