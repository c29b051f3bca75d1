import { asNativeHandler } from "../sdk/compat/toNativeHandler.ts";
import type { WorkerNamespace } from "./createWorker.ts";
import type { ResolvedHandler } from "./handlerRunner.ts";
import type { LoadedNamespace } from "./loadNamespaces.ts";

/** Indexes a loaded namespace for dispatch: (template, version, step) to its handler. */
export function toWorkerNamespace(loaded: LoadedNamespace): WorkerNamespace {
  const index = new Map<string, Map<string, ResolvedHandler>>();
  for (const { template } of loaded.templates) {
    const bySteps = new Map<string, ResolvedHandler>();
    for (const step of template.steps) {
      const callable = step.handler.callable;
      const fn = loaded.handlers.get(callable);
      const source = loaded.sources.get(callable);
      if (fn && source) bySteps.set(step.name, { callable, fn: asNativeHandler(fn, step.handler.method), method: step.handler.method, ...source });
    }
    index.set(`${template.name}@${template.version}`, bySteps);
  }
  return {
    namespace: loaded.namespace,
    templates: loaded.templates.map((t) => t.template),
    handlerFor: (name, version, stepName) => index.get(`${name}@${version}`)?.get(stepName),
    subscribers: loaded.subscribers,
    templateFor: (name, version) => loaded.templates.find((t) => t.template.name === name && t.template.version === version)?.template,
  };
}
