import { join } from "node:path";
import { resolveRealPath } from "../runtime/index.ts";
import type { StepHandler } from "../sdk/index.ts";
import { isStepHandlerClass, type StepHandlerClass } from "../sdk/compat/stepHandler.ts";
import { classLookup, MODULE_PATH_CALLABLE } from "./classLookup.ts";
import { createEventExportCollector, emptyNamespaceEvents, type NamespaceEvents } from "./namespaceEvents.ts";
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
  /** The position in an exported array (`ALL_EXAMPLE_HANDLERS`-style), when it came from one. */
  index?: number;
  /** `function`: this engine's handler; `class`: a tasker-core handler class (`static handlerName`). */
  kind: "function" | "class";
}

export interface HandlerResolution {
  /** A function (`kind: "function"`) or a tasker-core handler class (`kind: "class"`), by callable. */
  handlers: Map<string, StepHandler | StepHandlerClass>;
  sources: Map<string, HandlerSource>;
  /** Callables with no handler. */
  missing: string[];
  /** Why each missing callable was not found (for error messages). */
  notFound: Map<string, string>;
  /** Import failures, ambiguous callables, files escaping the handlers directory. */
  issues: TemplateIssue[];
  /** The domain event subscribers and custom publishers the folder's modules export. */
  events: NamespaceEvents;
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

/** tasker-core's registry: every exported handler class by its `static handlerName`. */
interface RegisteredClass {
  cls: StepHandlerClass;
  file: NamespaceFile;
  exportName: string;
  index?: number;
}

function registryOf(modules: LoadedModule[], folder: string, issues: TemplateIssue[]): Map<string, RegisteredClass> {
  const registry = new Map<string, RegisteredClass>();
  const register = (entry: RegisteredClass): void => {
    const known = registry.get(entry.cls.handlerName);
    if (!known) registry.set(entry.cls.handlerName, entry);
    else if (known.cls !== entry.cls) {
      issues.push({
        file: folder,
        message: `handler name "${entry.cls.handlerName}" is used by two handler classes: ${known.file.display} and ${entry.file.display}`,
      });
    }
  };
  for (const m of modules) {
    if (!m.imported.ok) continue;
    for (const [exportName, value] of Object.entries(m.imported.exports)) {
      if (isStepHandlerClass(value)) register({ cls: value, file: m.file, exportName });
      else if (Array.isArray(value)) {
        value.forEach((item, index) => {
          if (isStepHandlerClass(item)) register({ cls: item, file: m.file, exportName, index });
        });
      }
    }
  }
  return registry;
}

/** This engine's own lookup: `<callable>.ts`'s default export, else the one module exporting `callable`. */
function nativeLookup(
  modules: LoadedModule[],
  callable: string,
  folder: string,
  result: HandlerResolution,
): { value: StepHandler; file: NamespaceFile; exportName: string } | "reported" | undefined {
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
      return "reported";
    }
    if (!first.imported.ok) return "reported"; // already reported as an import failure
    if (isFunction(first.imported.exports["default"])) {
      return { value: first.imported.exports["default"], file: first.file, exportName: "default" };
    }
  }
  const named = modules.filter((m) => m.imported.ok && isFunction(m.imported.exports[callable]));
  const only = named[0];
  if (named.length === 1 && only?.imported.ok) return { value: only.imported.exports[callable] as StepHandler, file: only.file, exportName: callable };
  if (named.length > 1) {
    result.issues.push({
      file: folder,
      message: `handler "${callable}" is exported by more than one module: ${named.map((m) => m.file.display).join(", ")}`,
    });
    return "reported";
  }
  return undefined;
}

function resolveOne(
  modules: LoadedModule[],
  registry: ReadonlyMap<string, RegisteredClass>,
  callable: string,
  resolverHint: string | null,
  folder: string,
  result: HandlerResolution,
): void {
  const registered = registry.get(callable);
  // explicit_mapping: tasker-core's registry only (a class's static handlerName).
  const native = resolverHint === "explicit_mapping" ? undefined : nativeLookup(modules, callable, folder, result);
  if (native === "reported") return;
  if (native && registered && (native.value as unknown) !== registered.cls) {
    result.issues.push({
      file: folder,
      message: `handler "${callable}" is both a file or export (${native.file.display}) and a tasker-core handler class's handlerName (${registered.file.display})`,
    });
    return;
  }
  if (native) {
    const kind = isStepHandlerClass(native.value) ? "class" : "function";
    result.handlers.set(callable, native.value);
    result.sources.set(callable, { modulePath: native.file.realPath, exportName: native.exportName, kind });
    return;
  }
  if (registered) {
    result.handlers.set(callable, registered.cls);
    result.sources.set(callable, {
      modulePath: registered.file.realPath,
      exportName: registered.exportName,
      ...(registered.index === undefined ? {} : { index: registered.index }),
      kind: "class",
    });
    return;
  }
  if (modules.some((m) => !m.imported.ok)) return; // the export may be in a module that failed to import
  const first = byFileName(modules, callable)[0];
  result.missing.push(callable);
  result.notFound.set(
    callable,
    first === undefined
      ? `no ${callable}.ts or ${callable}.js in ${folder}, no module there exports a function named "${callable}", and no handler class there has handlerName "${callable}"`
      : `${first.file.display} has no default-exported function, no module in ${folder} exports a function named "${callable}", and no handler class there has handlerName "${callable}"`,
  );
}

/** Resolves a callable with tasker-core's `class_lookup` (a module path), else by registry name. */
async function lookUpClass(
  callable: string,
  nsReal: string,
  rootReal: string,
  folder: string,
  registry: ReadonlyMap<string, RegisteredClass>,
  result: HandlerResolution,
): Promise<void> {
  if (!MODULE_PATH_CALLABLE.test(callable)) {
    // A class_lookup hint on a registry name: tasker-core's chain falls back to the registry.
    const registered = registry.get(callable);
    if (registered) {
      result.handlers.set(callable, registered.cls);
      result.sources.set(callable, { modulePath: registered.file.realPath, exportName: registered.exportName, ...(registered.index === undefined ? {} : { index: registered.index }), kind: "class" });
      return;
    }
    result.missing.push(callable);
    result.notFound.set(callable, `handler.resolver is class_lookup, but "${callable}" is not a module path (./x.js, ../x.js) and no handler class in ${folder} has that handlerName`);
    return;
  }
  const found = await classLookup(callable, nsReal, rootReal);
  if (!found.ok) {
    result.missing.push(callable);
    result.notFound.set(callable, `class_lookup: ${found.reason}`);
    return;
  }
  result.handlers.set(callable, found.value);
  result.sources.set(callable, { modulePath: found.modulePath, exportName: found.exportName, kind: found.kind });
}

/**
 * Like `resolveHandlers`, but returns problems instead of throwing. Every handler module
 * (`*.ts|.mts|.js|.mjs`, not tests or declarations) below the folder is imported once,
 * so a broken module is reported even when no template uses it.
 */
export async function collectHandlers(
  namespaceDir: string,
  callables: ReadonlyArray<string | { callable: string; resolver: string | null }>,
  options: ResolveHandlersOptions = {},
): Promise<HandlerResolution> {
  const result: HandlerResolution = { handlers: new Map(), sources: new Map(), missing: [], notFound: new Map(), issues: [], events: emptyNamespaceEvents() };
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
  const registry = registryOf(modules, folder, result.issues);
  const collectEvents = createEventExportCollector(result.events, result.issues);
  for (const m of modules) {
    if (!m.imported.ok) continue;
    for (const value of Object.values(m.imported.exports)) collectEvents(value, m.file.display);
  }
  const wanted = new Map<string, string | null>();
  for (const entry of callables) {
    const { callable, resolver } = typeof entry === "string" ? { callable: entry, resolver: null } : entry;
    if (!wanted.has(callable) || resolver === "explicit_mapping") wanted.set(callable, resolver);
  }
  for (const [callable, resolver] of wanted) {
    // class_lookup: a module path (`./handlers/payment.js`), tried after the registry, as in tasker-core's chain.
    const pathLike = MODULE_PATH_CALLABLE.test(callable) && !registry.has(callable);
    if (pathLike || resolver === "class_lookup") await lookUpClass(callable, nsReal, rootReal, folder, registry, result);
    else resolveOne(modules, registry, callable, resolver, folder, result);
  }
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
): Promise<{ handlers: Map<string, StepHandler | StepHandlerClass>; missing: string[] }> {
  const { handlers, missing, issues } = await collectHandlers(namespaceDir, callables, options);
  if (issues.length > 0) throw new HandlerModuleError(issues);
  return { handlers, missing };
}
