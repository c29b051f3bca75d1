import { closestName } from "./closestName.ts";
import { configKeyKind, configKeysUnder } from "./configKeys.ts";

/**
 * Why a dotted path was rejected: it names a section rather than a key, or nothing known
 * (with the closest sibling as a hint). Undefined when the path is a valid key.
 */
export function unknownKeyMessage(key: string, spell: (key: string) => string = (k) => k): string | undefined {
  const kind = configKeyKind(key);
  if (kind === "key") return undefined;
  if (kind === "section") return `${spell(key)} is a section, not a key; set one of its keys instead`;
  const dot = key.lastIndexOf(".");
  const parent = dot === -1 ? "" : key.slice(0, dot);
  const siblings = configKeyKind(parent) === "section" || parent === "" ? configKeysUnder(parent) : [];
  const guess = closestName(key.slice(dot + 1), siblings);
  const hint = guess === undefined ? "" : ` (did you mean ${spell(parent === "" ? guess : `${parent}.${guess}`)}?)`;
  return `unknown config key${hint}`;
}
