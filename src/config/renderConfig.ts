import { CONFIG_KEYS } from "./configKeys.ts";
import { formatTomlValue } from "./formatTomlValue.ts";
import type { ResolvedConfig } from "./loadConfig.ts";
import { maskSecrets } from "./maskSecrets.ts";

function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const part of path) node = (node as Record<string, unknown>)[part];
  return node;
}

/**
 * The resolved config as TOML (what `tasker config check` prints): secrets masked, each key
 * annotated with `# <source>`.
 */
export function renderConfig(resolved: ResolvedConfig): string {
  const masked = maskSecrets(resolved.config);
  const lines = [`# tasker configuration, environment "${resolved.environment}"`];
  lines.push(resolved.files.length === 0 ? "# files: none (code defaults and environment only)" : "# files, in load order:");
  for (const file of resolved.files) lines.push(`#   ${file}`);

  let section = "";
  let block: Array<{ text: string; source: string }> = [];
  const flush = () => {
    const width = Math.max(0, ...block.map((b) => b.text.length));
    for (const b of block) lines.push(`${b.text.padEnd(width)}  # ${b.source}`);
    block = [];
  };
  for (const key of CONFIG_KEYS) {
    const keySection = key.path.slice(0, -1).join(".");
    if (keySection !== section) {
      flush();
      section = keySection;
      lines.push("", `[${section}]`);
    }
    const name = key.path[key.path.length - 1] ?? key.key;
    block.push({ text: `${name} = ${formatTomlValue(valueAt(masked, key.path))}`, source: resolved.sources[key.key] ?? "default" });
  }
  flush();
  return `${lines.join("\n")}\n`;
}
