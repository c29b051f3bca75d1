import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { MIGRATIONS } from "../../../src/db/migrations.ts";

const dir = join(import.meta.dir, "../../../migrations");

describe("embedded migrations", () => {
  test("every_file_in_migrations_is_embedded_in_order_with_its_number", () => {
    const files = readdirSync(dir).filter((f) => f.endsWith(".sql")).sort();
    expect(MIGRATIONS.map((m) => m.name)).toEqual(files);
    for (const m of MIGRATIONS) expect(m.name.startsWith(String(m.version).padStart(4, "0") + "_")).toBe(true);
  });

  test("file_names_follow_NNNN_description_sql", () => {
    for (const m of MIGRATIONS) expect(m.name).toMatch(/^\d{4}_[a-z0-9_]+\.sql$/);
  });
});
