/** What a check saw besides problems: `undefined` members, which JSON drops (or turns to null in arrays). */
export interface JsonCheckState {
  undefinedMembers: boolean;
}

/**
 * Handler results are stored as JSON and handed to later steps, so they must be JSON:
 * null, booleans, finite numbers, strings, arrays and plain objects. An `undefined` inside an
 * object or array is allowed as `JSON.stringify` treats it (the property is left out; an array
 * entry becomes null) and recorded in `state`; a top-level `undefined`, functions, bigints,
 * symbols, class instances (a Date too) and cycles are not.
 * Returns a description of the first offending value, or undefined when valid.
 */
export function findNonJson(value: unknown, path = "result", depth = 0, ancestors: object[] = [], state?: JsonCheckState): string | undefined {
  if (depth > 100) return `${path} is nested more than 100 levels deep`;
  if (value === null || typeof value === "string" || typeof value === "boolean") return undefined;
  if (typeof value === "number") return Number.isFinite(value) ? undefined : `${path} is ${String(value)}`;
  if (typeof value === "undefined") {
    if (depth === 0 || !state) return `${path} is undefined`;
    state.undefinedMembers = true;
    return undefined;
  }
  if (typeof value === "bigint") return `${path} is a bigint`;
  if (typeof value === "function") return `${path} is a function`;
  if (typeof value === "symbol") return `${path} is a symbol`;
  if (ancestors.includes(value)) return `${path} is a circular reference`;
  const inside = [...ancestors, value];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const found = findNonJson(value[i], `${path}[${i}]`, depth + 1, inside, state);
      if (found) return found;
    }
    return undefined;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? "object";
    return `${path} is a ${name}, not a plain object`;
  }
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const found = findNonJson(child, `${path}.${key}`, depth + 1, inside, state);
    if (found) return found;
  }
  return undefined;
}
