import { join } from "node:path";
import { resolveRealPath } from "../runtime/index.ts";
import type { StepHandler } from "../sdk/index.ts";
import { listNamespaceFiles, type NamespaceFile, type TemplateIssue } from "../templates/index.ts";
import {
  HandlerModuleError,
  importHandlerModule,
  isHandlerModuleFile,
  moduleStem,
  type ImportedModule,
} from "./handlerModuleLoader.ts";

export interface ResolveHandlersOptions {
  /** Nothing is imported from outside this directory (default: the namespace folder itself). */
  handlersDir?: string;
  /** How errors name the namespace folder (default: `namespaceDir` as given). */
  display?: string;
}

/** Where a callable's function was found, so a handler thread can import it again. */
export interface HandlerSource {
  modulePath: string;
  exportName: string;
}

export interface HandlerResolution {
  handlers: Map<string, StepHandler>;
  sources: Map<string, HandlerSource>;
  /** Callables with no handler. */
  missing: string[];
  /** Why each missing callable was not found (for error messages). */
  notFound: Map<string, string>;
  /** Import failures, ambiguous callables, files escaping the handlers directory. */
  issues: TemplateIssue[];
}

interface LoadedModule {
  file: NamespaceFile;
  imported: ImportedModule;
}

const isFunction = (value: unknown): value is StepHandler => typeof value === "function";

function byFileName(modules: LoadedModule[], callable: string): LoadedModule[] {
  const matches = modules.filter((m) => moduleStem(m.file.name).stem === callable);
  return matches.sort((a, b) => a.file.depth - b.file.depth || moduleStem(a.file.name).rank - moduleStem(b.file.name).rank);
}

function resolveOne(modules: LoadedModule[], callable: string, folder: string, result: HandlerResolution): void {
  const files = byFileName(modules, callable);
  const first = files[0];
  if (first !== undefined) {
    const sameRank = files.filter(
      (m) => m.file.depth === first.file.depth && moduleStem(m.file.name).rank === moduleStem(first.file.name).rank,
    );
    if (sameRank.length > 1) {
      result.issues.push({
        file: folder,
        message: `handler "${callable}" matches more than one file: ${sameRank.map((m) => m.file.display).join(", ")}`,
      });
      return;
    }
    if (!first.imported.ok) return; // already reported as an import failure
    if (isFunction(first.imported.exports["default"])) {
      result.handlers.set(callable, first.imported.exports["default"]);
      result.sources.set(callable, { modulePath: first.file.realPath, exportName: "default" });
      return;
    }
  }
  const named = modules.filter((m) => m.imported.ok && isFunction(m.imported.exports[callable]));
  const only = named[0];
  if (named.length === 1 && only?.imported.ok) {
    result.handlers.set(callable, only.imported.exports[callable] as StepHandler);
    result.sources.set(callable, { modulePath: only.file.realPath, exportName: callable });
    return;
  }
  if (named.length > 1) {
    result.issues.push({
      file: folder,
      message: `handler "${callable}" is exported by more than one module: ${named.map((m) => m.file.display).join(", ")}`,
    });
    return;
  }
  if (modules.some((m) => !m.imported.ok)) return; // the export may be in a module that failed to import
  result.missing.push(callable);
  result.notFound.set(
    callable,
    first === undefined
      ? `no ${callable}.ts or ${callable}.js in ${folder}, and no module there exports a function named "${callable}"`
      : `${first.file.display} has no default-exported function, and no module in ${folder} exports a function named "${callable}"`,
  );
}

/**
 * Like `resolveHandlers`, but returns problems instead of throwing. Every handler module
 * (`*.ts|.mts|.js|.mjs`, not tests or declarations) below the folder is imported once,
 * so a broken module is reported even when no template uses it.
 */
export async function collectHandlers(
  namespaceDir: string,
  callables: readonly string[],
  options: ResolveHandlersOptions = {},
): Promise<HandlerResolution> {
  const result: HandlerResolution = { handlers: new Map(), sources: new Map(), missing: [], notFound: new Map(), issues: [] };
  const folder = options.display ?? join(namespaceDir);
  let nsReal: string;
  let rootReal: string;
  try {
    nsReal = await resolveRealPath(namespaceDir);
    rootReal = await resolveRealPath(options.handlersDir ?? namespaceDir);
  } catch {
    result.issues.push({ file: folder, message: "namespace folder does not exist" });
    return result;
  }
  const listed = await listNamespaceFiles({ realPath: nsReal, display: folder }, rootReal, isHandlerModuleFile);
  result.issues.push(...listed.issues);
  const modules: LoadedModule[] = [];
  for (const file of listed.files) {
    const imported = await importHandlerModule(file.realPath);
    if (!imported.ok) {
      result.issues.push({ file: file.display, message: `failed to import: ${imported.error.message}` });
    }
    modules.push({ file, imported });
  }
  for (const callable of new Set(callables)) resolveOne(modules, callable, folder, result);
  return result;
}

/**
 * Resolves each `handler.callable` of a namespace folder to a function:
 * 1. the default export of `<callable>.ts` (then `.mts`, `.js`, `.mjs`) directly in the
 *    folder, else in the shallowest subfolder that has one (two at that depth: ambiguous);
 * 2. else the one module anywhere below the folder with a named export `<callable>`
 *    (two modules exporting it: ambiguous).
 * Callables with no handler are returned in `missing`. Import failures, ambiguity and
 * files escaping the handlers directory throw one `HandlerModuleError`.
 */
export async function resolveHandlers(
  namespaceDir: string,
  callables: readonly string[],
  options: ResolveHandlersOptions = {},
): Promise<{ handlers: Map<string, StepHandler>; missing: string[] }> {
  const { handlers, missing, issues } = await collectHandlers(namespaceDir, callables, options);
  if (issues.length > 0) throw new HandlerModuleError(issues);
  return { handlers, missing };
}
