import { createRequire } from "node:module";

type Toml = typeof import("smol-toml");
type Yaml = typeof import("yaml");

/**
 * The parsers are required on first use, not imported: Bun's binary bundles this module but
 * never calls it, and so neither bundles nor loads them (each handler thread would too).
 */
const load = createRequire(import.meta.url);
let toml: Toml | undefined;
let yaml: Yaml | undefined;

/** TOML 1.0 (Bun.TOML's counterpart); a syntax error names its line and column. */
export function parseToml(text: string): Record<string, unknown> {
  toml ??= load("smol-toml") as Toml;
  return toml.parse(text);
}

/** YAML 1.2, core schema (Bun.YAML's counterpart). */
export function parseYaml(text: string): unknown {
  yaml ??= load("yaml") as Yaml;
  return yaml.parse(text);
}
