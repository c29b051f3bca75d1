export function parseToml(text: string): Record<string, unknown> {
  return Bun.TOML.parse(text) as Record<string, unknown>;
}

export function parseYaml(text: string): unknown {
  return Bun.YAML.parse(text);
}
