import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { describeConfigKeys } from "../../../src/config/index.ts";
import { CONFIG_DOCS_PATH, renderConfigDocs } from "../../../scripts/configDocs.ts";

describe("docs/configuration.md", () => {
  test("matches_the_output_generated_from_describeConfigKeys", () => {
    // On failure run: bun scripts/configDocs.ts
    expect(readFileSync(CONFIG_DOCS_PATH, "utf8")).toBe(renderConfigDocs());
  });

  test("lists_every_key_with_its_environment_variable", () => {
    const docs = readFileSync(CONFIG_DOCS_PATH, "utf8");
    for (const key of describeConfigKeys()) {
      expect(docs).toContain(`| \`${key.key}\` |`);
      for (const name of key.env) expect(docs).toContain(`\`${name}\``);
    }
  });
});

describe("describeConfigKeys", () => {
  test("gives_every_key_a_description_and_its_generic_variable", () => {
    const keys = describeConfigKeys();
    expect(keys.length).toBeGreaterThan(20);
    for (const key of keys) {
      expect(key.description.length).toBeGreaterThan(10);
      expect(key.description).not.toContain("\n");
      expect(key.env[0]).toBe(`TASKER_${key.key.toUpperCase().replaceAll(".", "__")}`);
    }
    expect(keys.find((k) => k.key === "database.url")?.env).toEqual(["TASKER_DATABASE__URL", "DATABASE_URL"]);
    expect(keys.find((k) => k.key === "web.port")?.default).toBe(8080);
  });
});
