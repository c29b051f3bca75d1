import type { StepHandler } from "../sdk/stepContext.ts";
import type { WorkerNamespace } from "./createWorker.ts";
import type { LoadedNamespace } from "./loadNamespaces.ts";

/** Indexes a loaded namespace for dispatch: (template, version, step) to its handler. */
export function toWorkerNamespace(loaded: LoadedNamespace): WorkerNamespace {
  const index = new Map<string, Map<string, StepHandler>>();
  for (const { template } of loaded.templates) {
    const bySteps = new Map<string, StepHandler>();
    for (const step of template.steps) {
      const handler = loaded.handlers.get(step.handler.callable);
      if (handler) bySteps.set(step.name, handler);
    }
    index.set(`${template.name}@${template.version}`, bySteps);
  }
  return {
    namespace: loaded.namespace,
    templates: loaded.templates.map((t) => t.template),
    handlerFor: (name, version, stepName) => index.get(`${name}@${version}`)?.get(stepName),
  };
}
