import { asNativeHandler } from "../sdk/compat/toNativeHandler.ts";
import type { WorkerNamespace, WorkerStep } from "./createWorker.ts";
import type { LoadedNamespace } from "./loadNamespaces.ts";

/** Indexes a loaded namespace for dispatch: (template, version, step) to its definition and handler. */
export function toWorkerNamespace(loaded: LoadedNamespace): WorkerNamespace {
  const index = new Map<string, Map<string, WorkerStep>>();
  for (const { template } of loaded.templates) {
    const bySteps = new Map<string, WorkerStep>();
    for (const definition of template.steps) {
      const callable = definition.handler.callable;
      const fn = loaded.handlers.get(callable);
      const source = loaded.sources.get(callable);
      const handler =
        fn && source ? { callable, fn: asNativeHandler(fn, definition.handler.method), method: definition.handler.method, ...source } : undefined;
      bySteps.set(definition.name, { template, definition, handler });
    }
    index.set(`${template.name}@${template.version}`, bySteps);
  }
  return {
    namespace: loaded.namespace,
    templates: loaded.templates.map((t) => t.template),
    stepFor: (name, version, stepName) => index.get(`${name}@${version}`)?.get(stepName),
    events: loaded.events,
  };
}
