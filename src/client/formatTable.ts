export interface Column<T> {
  header: string;
  value: (row: T) => string;
  align?: "left" | "right";
}

/**
 * Rows as an aligned plain-text table with an upper-case header, one line per
 * row and a trailing newline. The last column is not padded.
 */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((column) => column.value(row).replace(/\s*\n\s*/g, " ")));
  const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const render = (values: readonly string[]): string =>
    values
      .map((value, i) => {
        const width = widths[i] ?? 0;
        if (columns[i]?.align === "right") return value.padStart(width);
        return i === values.length - 1 ? value : value.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  return [render(columns.map((c) => c.header.toUpperCase())), ...cells.map(render)].join("\n") + "\n";
}

/** `label  value` lines with the labels aligned; undefined values are left out. */
export function formatFields(fields: ReadonlyArray<readonly [string, string | undefined]>): string {
  const shown = fields.filter((f): f is readonly [string, string] => f[1] !== undefined);
  const width = Math.max(0, ...shown.map(([label]) => label.length));
  return shown.map(([label, value]) => `${`${label}:`.padEnd(width + 1)}  ${value}`).join("\n") + "\n";
}
