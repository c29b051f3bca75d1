import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { loadConfig, renderConfig } from "../../../src/config/index.ts";
import { describeConfigKeys } from "../../../src/config/index.ts";
import { parseToml } from "../../../src/runtime/index.ts";
import { removeTempDirectories, tempConfigRoot } from "./tempConfigRoot.ts";

afterAll(removeTempDirectories);

describe("renderConfig", () => {
  test("annotates_every_key_with_its_source_and_lists_the_files", async () => {
    const root = await tempConfigRoot({ "base/web.toml": "[web]\nport = 9000\n" });
    const resolved = await loadConfig({
      env: { TASKER_CONFIG_ROOT: root, TASKER_ENV: "test", TASKER_QUEUES__BATCH_SIZE: "3" },
      cwd: "/",
      flags: [{ key: "worker.namespaces", value: ["billing"], source: "flag --namespace" }],
    });
    const text = renderConfig(resolved);
    const file = join(root, "tasker/base/web.toml");
    expect(text).toContain('environment "test"');
    expect(text).toContain(`#   ${file}`);
    expect(text).toMatch(new RegExp(`^port = 9000 +# ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
    expect(text).toMatch(/^batch_size = 3 +# env TASKER_QUEUES__BATCH_SIZE$/m);
    expect(text).toMatch(/^namespaces = \["billing"\] +# flag --namespace$/m);
    expect(text).toMatch(/^worker_port = 8081 +# default$/m);
    expect(text).toContain("[database.pool]");
  });

  test("the_output_is_toml_that_parses_back_to_the_config", async () => {
    const root = await tempConfigRoot();
    const resolved = await loadConfig({ env: { TASKER_CONFIG_ROOT: root, TASKER_WEB__CORS_ORIGINS: '["https://a.example"]' }, cwd: "/" });
    const text = renderConfig(resolved);
    expect(parseToml(text)).toEqual(JSON.parse(JSON.stringify(resolved.config)) as Record<string, unknown>);
    const keyLines = text.split("\n").filter((line) => /^[a-z_]+ = /.test(line));
    expect(keyLines).toHaveLength(describeConfigKeys().length);
  });
});
