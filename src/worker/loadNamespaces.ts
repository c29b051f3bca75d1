import type { StepHandler } from "../sdk/index.ts";
import type { StepHandlerClass } from "../sdk/compat/stepHandler.ts";
import { collectTemplates, TemplateError, type LoadedTemplate, type LoadTemplateOptions } from "../templates/index.ts";
import { collectHandlers, type HandlerSource } from "./handlerResolver.ts";
import type { NamespaceEvents } from "./namespaceEvents.ts";

export interface LoadedNamespace {
  namespace: string;
  /** Canonical absolute path of the namespace folder. */
  dir: string;
  templates: LoadedTemplate[];
  /** Handler by `handler.callable`, for every callable of every template in the namespace. */
  handlers: ReadonlyMap<string, StepHandler | StepHandlerClass>;
  /** The module and export of each handler, for handler threads. */
  sources: ReadonlyMap<string, HandlerSource>;
  /** The domain event subscribers and custom publishers the namespace's modules export. */
  events: NamespaceEvents;
}

/**
 * What a worker loads at start: the templates of each namespace (default: every folder
 * under `handlersDir`) and a handler for every step. Validates everything and throws one
 * `TemplateError` listing every problem (template files, handler imports, unresolved
 * callables named with their template file and step).
 */
export async function loadNamespaces(
  handlersDir: string,
  namespaces?: readonly string[],
  options: LoadTemplateOptions = {},
): Promise<LoadedNamespace[]> {
  const { catalog, issues } = await collectTemplates(handlersDir, namespaces, options);
  if (catalog === null) throw new TemplateError(issues);
  const loaded: LoadedNamespace[] = [];
  for (const folder of catalog.namespaces) {
    const callables = folder.templates.flatMap((t) => t.template.steps.map((s) => ({ callable: s.handler.callable, resolver: s.handler.resolver })));
    const resolution = await collectHandlers(folder.realPath, callables, {
      handlersDir: catalog.handlersDir,
      display: folder.display,
    });
    issues.push(...resolution.issues);
    for (const { template, file } of folder.templates) {
      for (const step of template.steps) {
        const reason = resolution.notFound.get(step.handler.callable);
        if (reason === undefined) continue;
        issues.push({ file, step: step.name, message: `handler "${step.handler.callable}" not found: ${reason}` });
      }
    }
    loaded.push({
      namespace: folder.namespace,
      dir: folder.realPath,
      templates: folder.templates,
      handlers: resolution.handlers,
      sources: resolution.sources,
      events: resolution.events,
    });
  }
  if (issues.length > 0) throw new TemplateError(issues);
  return loaded;
}

/** One namespace: `loadNamespaces(handlersDir, [namespace])[0]`. */
export async function loadNamespace(handlersDir: string, namespace: string): Promise<LoadedNamespace> {
  const [loaded] = await loadNamespaces(handlersDir, [namespace]);
  if (loaded === undefined) throw new TemplateError([{ file: handlersDir, message: `namespace "${namespace}" has no folder` }]);
  return loaded;
}
