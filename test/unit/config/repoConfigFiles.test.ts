import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CONFIG_DEFAULTS, loadConfig } from "../../../src/config/index.ts";
import { CONFIG_KEYS } from "../../../src/config/configKeys.ts";
import { parseToml } from "../../../src/runtime/index.ts";

const repoRoot = join(import.meta.dir, "../../..");
const taskerDir = join(repoRoot, "config/tasker");

function leaves(table: Record<string, unknown>, prefix = ""): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [name, value] of Object.entries(table)) {
    const key = prefix === "" ? name : `${prefix}.${name}`;
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      for (const [k, v] of leaves(value as Record<string, unknown>, key)) out.set(k, v);
    } else {
      out.set(key, value);
    }
  }
  return out;
}

function tomlFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(".toml")).sort().map((f) => join(dir, f));
}

const defaults = new Map(CONFIG_KEYS.map((k) => [k.key, k.default]));

describe("the repository's config/ folder", () => {
  test("base_toml_states_every_code_default_and_nothing_else", () => {
    const base = new Map<string, unknown>();
    for (const file of tomlFiles(join(taskerDir, "base"))) {
      for (const [key, value] of leaves(parseToml(readFileSync(file, "utf8")))) base.set(key, value);
    }
    expect([...base.keys()].sort()).toEqual([...defaults.keys()].sort());
    for (const [key, value] of base) expect({ key, value }).toEqual({ key, value: defaults.get(key) });
  });

  test("every_key_in_base_toml_has_a_comment_above_it", () => {
    for (const file of tomlFiles(join(taskerDir, "base"))) {
      const lines = readFileSync(file, "utf8").split("\n");
      lines.forEach((line, i) => {
        if (/^[a-z_]+ = /.test(line)) expect({ file, line, above: lines[i - 1]?.startsWith("#") }).toEqual({ file, line, above: true });
      });
    }
  });

  test("environment_files_only_set_keys_that_differ_from_the_defaults", () => {
    for (const env of ["test", "development", "production"]) {
      for (const file of tomlFiles(join(taskerDir, "environments", env))) {
        for (const [key, value] of leaves(parseToml(readFileSync(file, "utf8")))) {
          expect(defaults.has(key)).toBe(true);
          expect({ file, key, same: Bun.deepEquals(value, defaults.get(key)) }).toEqual({ file, key, same: false });
        }
      }
    }
  });

  for (const environment of ["test", "development", "production"] as const) {
    test(`loads_cleanly_for_${environment}`, async () => {
      const resolved = await loadConfig({ env: { TASKER_ENV: environment }, cwd: repoRoot });
      expect(resolved.environment).toBe(environment);
      expect(resolved.files.length).toBeGreaterThanOrEqual(6);
      expect(resolved.files.every((f) => f.startsWith(taskerDir))).toBe(true);
    });
  }

  test("each_environment_changes_what_it_should", async () => {
    const load = (env: string) => loadConfig({ env: { TASKER_ENV: env }, cwd: repoRoot }).then((r) => r.config);
    const [testConfig, development, production] = await Promise.all([load("test"), load("development"), load("production")]);
    expect(testConfig.queues.poll_interval_ms).toBe(250);
    expect(testConfig.orchestration.shutdown_timeout_ms).toBe(5000);
    expect(testConfig.orchestration.ready_task_poll_interval_ms).toBe(1000);
    expect(testConfig.worker.shutdown_timeout_ms).toBe(5000);
    expect(testConfig.telemetry.log_level).toBe("warn");
    expect(development.database.migrate_on_start).toBe(true);
    expect(production.database.pool.max_connections).toBe(25);
    expect(production.web.host).toBe("0.0.0.0");
    expect(production.database.migrate_on_start).toBe(CONFIG_DEFAULTS.database.migrate_on_start);
  });
});
