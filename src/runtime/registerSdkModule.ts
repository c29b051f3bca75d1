import * as compat from "../sdk/compat/index.ts";
import * as sdk from "../sdk/index.ts";

/** The module name handler files import: `import { PermanentError } from "tasker"`. */
export const SDK_MODULE_NAME = "tasker";
/** tasker-core's TypeScript worker package, served so its handler files run unchanged. */
export const COMPAT_MODULE_NAME = "@tasker-systems/tasker";

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
  const compatExports: Record<string, unknown> = { ...compat };
  void Bun.plugin({
    name: "tasker-sdk",
    setup(build) {
      build.module(SDK_MODULE_NAME, () => ({ exports, loader: "object" }));
      build.module(COMPAT_MODULE_NAME, () => ({ exports: compatExports, loader: "object" }));
    },
  });
}
