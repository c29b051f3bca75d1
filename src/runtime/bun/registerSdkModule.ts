import * as compat from "../../sdk/compat/index.ts";
import * as sdk from "../../sdk/index.ts";
import { COMPAT_MODULE_NAME, SDK_MODULE_NAME } from "../sdkModuleNames.ts";

let registered = false;

/**
 * Registers the virtual modules `tasker` and `@tasker-systems/tasker` (Bun.plugin) so handler
 * files loaded from disk at run time get the SDK without an npm install. The exports are this
 * process's own SDK objects, so `instanceof PermanentError` holds across the boundary; this
 * works inside the `bun build --compile` binary too.
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
