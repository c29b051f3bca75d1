/** The module name handler files import: `import { PermanentError } from "tasker"`. */
export const SDK_MODULE_NAME = "tasker";
/** tasker-core's TypeScript worker package, served so its handler files run unchanged. */
export const COMPAT_MODULE_NAME = "@tasker-systems/tasker";
