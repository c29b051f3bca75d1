import { existsSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { resolveRealPath } from "../runtime/index.ts";
import type { StepHandler } from "../sdk/index.ts";
import { isStepHandlerClass, type StepHandlerClass } from "../sdk/compat/stepHandler.ts";
import { HANDLER_EXTENSIONS, importHandlerModule, isHandlerModuleFile } from "./handlerModuleLoader.ts";

/** tasker-core's `class_lookup` callables: a module path, `./x.js`, `../x.js` or `@scope/x`. */
export const MODULE_PATH_CALLABLE = /^(\.\.?\/|@[\w-]+\/)/;

export type ClassLookup =
  | { ok: true; value: StepHandler | StepHandlerClass; modulePath: string; exportName: string; kind: "function" | "class" }
  | { ok: false; reason: string };

/** `./payment.js` may name `payment.ts` (TypeScript's import convention), `./payment` any extension. */
function candidates(path: string): string[] {
  const stem = path.replace(/\.(m?js|m?ts)$/, "");
  return [path, ...HANDLER_EXTENSIONS.map((ext) => `${stem}${ext}`)];
}

/**
 * tasker-core's `class_lookup` resolver: imports the module a callable names, relative to the
 * namespace folder and never outside the handlers directory, and takes its default export if it
 * is a handler class (or this engine's handler function), else its first exported handler class.
 * Packages (`@scope/...`) are not importable from the binary: that is reported, with what to do.
 */
export async function classLookup(callable: string, namespaceReal: string, handlersReal: string): Promise<ClassLookup> {
  if (callable.startsWith("@")) {
    return { ok: false, reason: `"${callable}" names a package; the binary imports handlers only from the handlers folder: copy the handler module into it and name it by handlerName or by a ./path` };
  }
  const target = resolve(namespaceReal, callable);
  const found = candidates(target).find((path) => existsSync(path));
  if (!found) return { ok: false, reason: `no module at ${callable} (relative to the namespace folder)` };
  const real = await resolveRealPath(found);
  const inside = relative(handlersReal, real);
  if (inside.startsWith("..") || isAbsolute(inside)) return { ok: false, reason: `${callable} is outside the handlers directory` };
  if (!isHandlerModuleFile(real)) return { ok: false, reason: `${callable} is not a handler module (.ts, .mts, .js or .mjs)` };
  const imported = await importHandlerModule(real);
  if (!imported.ok) return { ok: false, reason: `failed to import ${callable}: ${imported.error.message}` };
  const fallback = imported.exports["default"];
  if (isStepHandlerClass(fallback)) return { ok: true, value: fallback, modulePath: real, exportName: "default", kind: "class" };
  const named = Object.entries(imported.exports).find(([, value]) => isStepHandlerClass(value));
  if (named) return { ok: true, value: named[1] as StepHandlerClass, modulePath: real, exportName: named[0], kind: "class" };
  if (typeof fallback === "function") return { ok: true, value: fallback as StepHandler, modulePath: real, exportName: "default", kind: "function" };
  return { ok: false, reason: `${callable} exports no handler class (static handlerName) and no default function` };
}
