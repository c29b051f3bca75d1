import { TaskerError } from "../lib/errors.ts";

/** One problem found while loading templates or their handlers. */
export interface TemplateIssue {
  /** The file as the user would name it, e.g. `handlers/payments/process_order.yaml`. */
  file: string;
  step?: string;
  message: string;
}

export function formatTemplateIssue(issue: TemplateIssue): string {
  return issue.step === undefined
    ? `${issue.file}: ${issue.message}`
    : `${issue.file}: step "${issue.step}": ${issue.message}`;
}

/** Every problem of a load, reported at once. Code `TEMPLATE_INVALID`. */
export class TemplateError extends TaskerError {
  readonly issues: readonly TemplateIssue[];

  constructor(issues: TemplateIssue[]) {
    const lines = issues.map(formatTemplateIssue);
    const message =
      lines.length === 1 ? (lines[0] ?? "") : `${lines.length} template problems:\n${lines.map((l) => `  ${l}`).join("\n")}`;
    super("TEMPLATE_INVALID", message, { details: { issues } });
    this.issues = issues;
  }
}
