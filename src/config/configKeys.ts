import { CONFIG_SETTINGS, isConfigSetting } from "./configDefaults.ts";

export interface ConfigKey {
  /** Dotted key, e.g. `database.pool.max_connections`. */
  readonly key: string;
  readonly path: readonly string[];
  readonly default: unknown;
  readonly description: string;
}

function flatten(node: unknown, path: readonly string[], out: ConfigKey[]): ConfigKey[] {
  if (isConfigSetting(node)) {
    out.push({ key: path.join("."), path, default: node.default, description: node.description });
    return out;
  }
  for (const [name, child] of Object.entries(node as Record<string, unknown>)) flatten(child, [...path, name], out);
  return out;
}

/** Every leaf key in declaration order. */
export const CONFIG_KEYS: readonly ConfigKey[] = Object.freeze(flatten(CONFIG_SETTINGS, [], []));

const leaves = new Set(CONFIG_KEYS.map((k) => k.key));
const sections = new Set(CONFIG_KEYS.flatMap((k) => k.path.slice(1).map((_, i) => k.path.slice(0, i + 1).join("."))));

/** Whether a dotted path names a key (a leaf), a section (a table of keys), or nothing known. */
export function configKeyKind(key: string): "key" | "section" | "unknown" {
  if (leaves.has(key)) return "key";
  if (sections.has(key)) return "section";
  return "unknown";
}

/** The known keys and sections directly under a section ("" for the top level); for "did you mean" hints. */
export function configKeysUnder(section: string): string[] {
  const prefix = section === "" ? "" : `${section}.`;
  const names = new Set<string>();
  for (const key of [...leaves, ...sections]) {
    if (!key.startsWith(prefix)) continue;
    const rest = key.slice(prefix.length);
    if (!rest.includes(".")) names.add(rest);
  }
  return [...names];
}
