/** A config value as TOML text (strings quoted, arrays and tables inline). */
export function formatTomlValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(formatTomlValue).join(", ")}]`;
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object" && value !== null) {
    const fields = Object.entries(value).map(([name, field]) => `${name} = ${formatTomlValue(field)}`);
    return `{ ${fields.join(", ")} }`;
  }
  return String(value);
}
