import { TaskerError } from "../../lib/errors.ts";
import { COMPAT_MODULE_NAME, SDK_MODULE_NAME } from "../sdkModuleNames.ts";

/** Where the import map must send each SDK module name: this process's own SDK files. */
const sdkFiles = (): ReadonlyArray<[string, URL]> => [
  [SDK_MODULE_NAME, new URL("../../sdk/index.ts", import.meta.url)],
  [COMPAT_MODULE_NAME, new URL("../../sdk/compat/index.ts", import.meta.url)],
];

let checked = false;

/**
 * On Deno, handler files get `tasker` and `@tasker-systems/tasker` from the import map in the
 * repository's deno.json, which maps them to the SDK's own files, so a handler's
 * `PermanentError` is the engine's (one module instance, `instanceof` holds). Nothing can be
 * registered at run time: this checks that the map is in force and says how to fix it if not.
 */
export function registerSdkModule(): void {
  if (checked) return;
  for (const [name, file] of sdkFiles()) {
    let resolved: string;
    try {
      resolved = import.meta.resolve(name);
    } catch {
      resolved = "nothing";
    }
    if (resolved !== file.href) {
      throw new TaskerError(
        "SDK_MODULE_UNMAPPED",
        `on Deno, handler files import "${name}" through deno.json's import map, but it resolves to ${resolved}, not ${file.href}: run tasker with \`deno run -A --config <tasker>/deno.json src/main.ts\` (npm run start:deno does)`,
      );
    }
  }
  checked = true;
}
