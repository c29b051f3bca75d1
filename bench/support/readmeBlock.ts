import { existsSync, readFileSync, writeFileSync } from "node:fs";

/**
 * A block of bench/README.md written by a bench of its own (between `<!-- name:start -->` and
 * `<!-- name:end -->`), which the full report keeps when it renders the file again.
 */
const markers = (name: string) => [`<!-- ${name}:start -->`, `<!-- ${name}:end -->`] as const;

export function readBlock(file: string, name: string): string | null {
  if (!existsSync(file)) return null;
  const text = readFileSync(file, "utf8");
  const [start, end] = markers(name);
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  return from >= 0 && to > from ? text.slice(from, to + end.length) : null;
}

/** Replaces the block (or appends it) with `body`. */
export function writeBlock(file: string, name: string, body: string): void {
  const [start, end] = markers(name);
  const block = `${start}\n${body.trim()}\n${end}`;
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const old = readBlock(file, name);
  writeFileSync(file, old ? text.replace(old, block) : `${text.trimEnd()}\n\n${block}\n`);
}
