/** A config value as TOML text (strings quoted, arrays inline). */
export function formatTomlValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(formatTomlValue).join(", ")}]`;
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}
