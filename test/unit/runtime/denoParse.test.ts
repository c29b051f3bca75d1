/**
 * On Deno, config (TOML) and templates (YAML) are parsed by the smol-toml and yaml packages
 * (src/runtime/deno/parse.ts) instead of Bun.TOML and Bun.YAML: every file tasker ships must
 * parse to the same value with both.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseToml, parseYaml } from "../../../src/runtime/deno/parse.ts";
import { REPO_ROOT } from "../../support/binary.ts";

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(suffix))
    .map((name) => join(dir, name))
    .sort();
}

const tomlFiles = filesUnder(join(REPO_ROOT, "config"), ".toml");
const yamlFiles = [...filesUnder(join(REPO_ROOT, "handlers"), ".yaml"), ...filesUnder(join(REPO_ROOT, "test", "fixtures", "handlers"), ".yaml")];

describe("Deno's TOML and YAML parsers", () => {
  test("the_shipped_files_exist", () => {
    expect(tomlFiles.length).toBeGreaterThan(5);
    expect(yamlFiles.length).toBeGreaterThan(20);
  });

  test("every_shipped_toml_file_parses_as_bun_toml_parses_it", () => {
    for (const file of tomlFiles) {
      const text = readFileSync(file, "utf8");
      expect([relative(REPO_ROOT, file), parseToml(text)]).toEqual([relative(REPO_ROOT, file), Bun.TOML.parse(text) as Record<string, unknown>]);
    }
  });

  test("every_shipped_yaml_template_parses_as_bun_yaml_parses_it", () => {
    for (const file of yamlFiles) {
      const text = readFileSync(file, "utf8");
      expect([relative(REPO_ROOT, file), parseYaml(text)]).toEqual([relative(REPO_ROOT, file), Bun.YAML.parse(text)]);
    }
  });

  test("an_env_override_value_and_a_syntax_error_behave_alike", () => {
    for (const raw of ["42", "1.5", "true", '"text"', "[1, 2]", "{ a = 1 }"]) expect(parseToml(`value = ${raw}`)).toEqual(Bun.TOML.parse(`value = ${raw}`) as Record<string, unknown>);
    expect(() => parseToml("value = ")).toThrow();
    expect(() => parseYaml("a: [1, 2")).toThrow();
  });
});
