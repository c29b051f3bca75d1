import { parse as parseTomlText } from "smol-toml";
import { parse as parseYamlText } from "yaml";

/** TOML 1.0 (Bun.TOML's counterpart); a syntax error names its line and column. */
export function parseToml(text: string): Record<string, unknown> {
  return parseTomlText(text);
}

/** YAML 1.2, core schema (Bun.YAML's counterpart). */
export function parseYaml(text: string): unknown {
  return parseYamlText(text);
}
