import type { Runtime } from "../runtime.ts";
import { deno } from "./denoApi.ts";
import { heapBytes, startHandlerThread } from "./handlerThreads.ts";
import { parseToml, parseYaml } from "./parse.ts";
import { registerSdkModule } from "./registerSdkModule.ts";
import { serveHttp } from "./serveHttp.ts";

/** Deno: Deno.serve, the yaml and smol-toml packages, module Workers, deno.json's import map. */
export function denoRuntime(): Runtime {
  return { name: "deno", version: deno().version.deno, serveHttp, parseToml, parseYaml, registerSdkModule, heapBytes, startHandlerThread };
}
