import type { TemplateDetail, TemplateList } from "../../../orchestration/templateQueries.ts";
import { DagSvg, fit, layoutDag, NODE_HEIGHT, NODE_WIDTH, placeAt, type DagExtraEdge } from "./DagSvg.tsx";
import { prettyJson, stateLabel } from "./format.ts";
import { isRecord } from "../../../lib/isRecord.ts";

/** A template step as stored in `named_tasks.configuration.steps` (the fields the dashboard reads). */
export interface TemplateStepView {
  name: string;
  type: string;
  dependencies: string[];
  maxAttempts: number | null;
  /** A batchable step's worker template. */
  workerTemplate: string | null;
}

/** The steps of a stored configuration, tolerant of rows written by other writers. */
export function templateSteps(configuration: Record<string, unknown>): TemplateStepView[] {
  const steps = Array.isArray(configuration["steps"]) ? (configuration["steps"] as unknown[]) : [];
  return steps.filter(isRecord).map((step) => {
    const retry = isRecord(step["retry"]) ? step["retry"] : {};
    const batch = isRecord(step["batch_config"]) ? step["batch_config"] : {};
    return {
      name: String(step["name"]),
      type: typeof step["type"] === "string" ? step["type"] : "standard",
      dependencies: Array.isArray(step["dependencies"]) ? step["dependencies"].map(String) : [],
      maxAttempts: typeof retry["max_attempts"] === "number" ? retry["max_attempts"] : null,
      workerTemplate: typeof batch["worker_template"] === "string" ? batch["worker_template"] : null,
    };
  });
}

/** The words for a step type on a node: the special types are named, a standard step is a "step". */
export const stepTypeLabel = (type: string): string => (type === "standard" ? "step" : stateLabel(type));

const templateHref = (t: { namespace: string; name: string; version: string }): string =>
  `/dashboard/templates/${encodeURIComponent(t.namespace)}/${encodeURIComponent(t.name)}/${encodeURIComponent(t.version)}`;

/** The registered templates: namespace, name (a link to its page), version, step count. */
export function TemplateCatalog(props: { list: TemplateList }) {
  const { templates } = props.list;
  return (
    <section aria-labelledby="templates-heading">
      <h2 id="templates-heading">
        Templates <span class="muted">({templates.length} registered)</span>
      </h2>
      {templates.length === 0 ? (
        <p class="empty">No template is registered yet (a worker registers its namespaces' templates when it starts).</p>
      ) : (
        <table class="templates">
          <thead>
            <tr>
              <th scope="col">Namespace</th>
              <th scope="col">Name</th>
              <th scope="col">Version</th>
              <th scope="col">Steps</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {templates.map((t) => (
              <tr data-template={`${t.namespace}/${t.name}/${t.version}`}>
                <td>{t.namespace}</td>
                <td>
                  <a href={templateHref(t)}>{t.name}</a>
                </td>
                <td>{t.version}</td>
                <td>{t.step_count}</td>
                <td class="muted">{t.description ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/**
 * A template's steps as a graph, laid out as a task's: template steps have no state, so the
 * nodes are neutral; each carries `data-step-name` and `data-step-type` and says its type in
 * words. A batchable step's worker template is joined to it by a dashed edge.
 */
export function TemplateDag(props: { steps: readonly TemplateStepView[] }) {
  const extra: DagExtraEdge[] = props.steps.flatMap((s) => (s.workerTemplate ? [{ from: s.name, to: s.workerTemplate }] : []));
  const layout = layoutDag(
    props.steps.map((s) => ({ id: s.name, parents: s.dependencies })),
    extra,
  );
  return (
    <DagSvg layout={layout} label="Template steps">
      {props.steps.map((step) => (
        <g
          class={`dag-node template-step type-${step.type}`}
          data-step-name={step.name}
          data-step-type={step.type}
          transform={placeAt(layout.corner(step.name))}
        >
          <title>{`${step.name}: ${stepTypeLabel(step.type)}`}</title>
          <rect width={NODE_WIDTH} height={NODE_HEIGHT} rx="8" />
          <text x="10" y="20" class="dag-name">{fit(step.name)}</text>
          <text x="10" y="38" class="dag-state">{stepTypeLabel(step.type)}</text>
          <text x="10" y="55" class="dag-timing">
            {step.maxAttempts === null ? "" : `up to ${step.maxAttempts} attempt${step.maxAttempts === 1 ? "" : "s"}`}
          </text>
          {step.dependencies.length > 0 ? (
            <text x="10" y="71" class="dag-created-by">{fit(`after ${step.dependencies.join(", ")}`, 30)}</text>
          ) : null}
        </g>
      ))}
    </DagSvg>
  );
}

/** One template: its facts, its graph, its steps with their types, and its input schema. */
export function TemplateDetailView(props: { template: TemplateDetail }) {
  const { template } = props;
  const steps = templateSteps(template.configuration);
  const schema = template.configuration["input_schema"] ?? null;
  return (
    <section aria-labelledby="template-heading" data-template={`${template.namespace}/${template.name}/${template.version}`}>
      <h2 id="template-heading">
        {template.namespace}/{template.name} <span class="muted">{template.version}</span>
      </h2>
      {template.description ? <p>{template.description}</p> : null}
      <div class="dag-scroll">
        <TemplateDag steps={steps} />
      </div>
      <h3>Steps</h3>
      <ul class="step-list">
        {steps.map((step) => (
          <li data-template-step={step.name} data-step-type={step.type}>
            <strong>{step.name}</strong> <span class="badge step-type">{stepTypeLabel(step.type)}</span>
            <span class="muted">{step.dependencies.length > 0 ? ` after ${step.dependencies.join(", ")}` : " (a root step)"}</span>
            {step.workerTemplate ? <span class="muted">; its batches run {step.workerTemplate}</span> : null}
          </li>
        ))}
      </ul>
      <h3>Input schema</h3>
      {schema === null ? (
        <p class="empty">This template declares no input schema: any JSON object is accepted as the task's context.</p>
      ) : (
        <pre data-section="input-schema">{prettyJson(schema)}</pre>
      )}
    </section>
  );
}
