import type { TemplateDetail, TemplateListResponse } from "./apiTypes.ts";
import { formatFields, formatTable } from "./formatTable.ts";

/** Registered templates, one per line. */
export function formatTemplateList(list: TemplateListResponse): string {
  if (list.templates.length === 0) return "no templates registered\n";
  return formatTable(list.templates, [
    { header: "namespace", value: (t) => t.namespace },
    { header: "name", value: (t) => t.name },
    { header: "version", value: (t) => t.version },
    { header: "steps", value: (t) => String(t.step_count), align: "right" },
    { header: "description", value: (t) => t.description ?? "" },
  ]);
}

/** One template and its steps. */
export function formatTemplate(template: TemplateDetail): string {
  const header = formatFields([
    ["template", `${template.namespace}/${template.name} ${template.version}`],
    ["description", template.description ?? undefined],
  ]);
  if (template.steps.length === 0) return `${header}\nno steps\n`;
  const steps = formatTable(template.steps, [
    { header: "step", value: (s) => s.name },
    { header: "retryable", value: (s) => (s.default_retryable === undefined ? "-" : s.default_retryable ? "yes" : "no") },
    {
      header: "max attempts",
      value: (s) => (s.default_max_attempts === undefined ? "-" : String(s.default_max_attempts)),
      align: "right",
    },
    { header: "description", value: (s) => s.description ?? "" },
  ]);
  return `${header}\n${steps}`;
}
