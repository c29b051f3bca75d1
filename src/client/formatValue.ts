/** An API timestamp without fractional seconds (`2025-01-02T03:04:05Z`); "-" when absent. */
export function formatTime(value: string | null | undefined): string {
  if (!value) return "-";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Compact JSON cut to `max` characters with an ellipsis, for table cells. */
export function formatJsonShort(value: unknown, max = 48): string {
  if (value === undefined) return "-";
  const text = JSON.stringify(value) ?? "-";
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** What a stored StepExecutionResult says in a few words: its result, or its error. */
export function summarizeStepResult(results: unknown, max = 48): string {
  if (results === null || results === undefined || typeof results !== "object") return "-";
  const r = results as { success?: unknown; result?: unknown; error?: { message?: unknown; error_type?: unknown } | null };
  if (r.error && typeof r.error === "object") {
    const type = typeof r.error.error_type === "string" ? `${r.error.error_type}: ` : "";
    const message = typeof r.error.message === "string" ? r.error.message : "";
    const text = `${type}${message}`;
    return text.length > max ? `${text.slice(0, max - 1)}…` : text || "error";
  }
  return "result" in r ? formatJsonShort(r.result, max) : formatJsonShort(results, max);
}
