import * as sdk from "../sdk/index.ts";

/** The module name handler files import: `import { PermanentError } from "tasker"`. */
export const SDK_MODULE_NAME = "tasker";

let registered = false;

/**
 * Registers the virtual module `tasker` so handler files loaded from disk at run time
 * get the SDK (error classes) without an npm install. The exports are this process's
 * own SDK objects, so `instanceof PermanentError` holds across the boundary; this works
 * inside the `bun build --compile` binary too. Idempotent; call before the first
 * `import()` of a handler file.
 */
export function registerSdkModule(): void {
  if (registered) return;
  registered = true;
  const exports: Record<string, unknown> = { ...sdk };
  void Bun.plugin({
    name: "tasker-sdk",
    setup(build) {
      build.module(SDK_MODULE_NAME, () => ({ exports, loader: "object" }));
    },
  });
}
