import { afterAll, describe, expect, test } from "bun:test";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CONFIG_DEFAULTS, loadConfig } from "../../../src/config/index.ts";
import { emptyDirectory, removeTempDirectories, tempConfigRoot } from "./tempConfigRoot.ts";

afterAll(removeTempDirectories);

describe("loadConfig layers", () => {
  test("uses_the_code_defaults_when_there_are_no_files_or_variables", async () => {
    const cwd = await emptyDirectory();
    const resolved = await loadConfig({ env: {}, cwd });
    expect(resolved.config).toEqual(CONFIG_DEFAULTS);
    expect(resolved.environment).toBe("development");
    expect(resolved.files).toEqual([]);
    expect(Object.values(resolved.sources).every((s) => s === "default")).toBe(true);
    expect(resolved.sources["web.port"]).toBe("default");
  });

  test("finds_config_under_cwd_when_TASKER_CONFIG_ROOT_is_unset", async () => {
    const cwd = await emptyDirectory();
    await mkdir(join(cwd, "config", "tasker", "base"), { recursive: true });
    const file = join(cwd, "config", "tasker", "base", "web.toml");
    await writeFile(file, "[web]\nport = 9100\n");
    const resolved = await loadConfig({ env: {}, cwd });
    expect(resolved.config.web.port).toBe(9100);
    expect(resolved.sources["web.port"]).toBe(file);
    expect(resolved.files).toEqual([file]);
  });

  test("overlays_the_environment_directory_on_base_and_records_each_source", async () => {
    const root = await tempConfigRoot({
      "base/web.toml": '[web]\nport = 9000\nhost = "10.0.0.1"\n',
      "base/queues.toml": "[queues]\nbatch_size = 7\n",
      "environments/production/web.toml": "[web]\nport = 9001\n",
      "environments/test/web.toml": "[web]\nport = 9999\n",
    });
    const resolved = await loadConfig({ env: { TASKER_CONFIG_ROOT: root, TASKER_ENV: "production" }, cwd: "/" });
    expect(resolved.environment).toBe("production");
    expect(resolved.config.web.port).toBe(9001);
    expect(resolved.config.web.host).toBe("10.0.0.1");
    expect(resolved.config.queues.batch_size).toBe(7);
    expect(resolved.sources["web.port"]).toBe(join(root, "tasker/environments/production/web.toml"));
    expect(resolved.sources["web.host"]).toBe(join(root, "tasker/base/web.toml"));
    expect(resolved.sources["web.worker_port"]).toBe("default");
    expect(resolved.files).toEqual([
      join(root, "tasker/base/queues.toml"),
      join(root, "tasker/base/web.toml"),
      join(root, "tasker/environments/production/web.toml"),
    ]);
  });

  test("resolves_a_relative_TASKER_CONFIG_ROOT_against_cwd", async () => {
    const root = await tempConfigRoot({ "base/web.toml": "[web]\nport = 9002\n" });
    const resolved = await loadConfig({ env: { TASKER_CONFIG_ROOT: root.split("/").pop() }, cwd: join(root, "..") });
    expect(resolved.config.web.port).toBe(9002);
  });

  test("environment_variables_override_files", async () => {
    const root = await tempConfigRoot({ "base/web.toml": "[web]\nport = 9000\n" });
    const resolved = await loadConfig({
      env: {
        TASKER_CONFIG_ROOT: root,
        TASKER_WEB__PORT: "9500",
        TASKER_DATABASE__POOL__MAX_CONNECTIONS: "5",
        TASKER_DATABASE__MIGRATE_ON_START: "true",
        TASKER_WORKER__NAMESPACES: '["billing", "email"]',
        TASKER_QUEUES__MODE: "polling",
        DATABASE_URL: "postgres://app@db.internal:5433/app",
      },
      cwd: "/",
    });
    expect(resolved.config.web.port).toBe(9500);
    expect(resolved.config.database.pool.max_connections).toBe(5);
    expect(resolved.config.database.migrate_on_start).toBe(true);
    expect(resolved.config.worker.namespaces).toEqual(["billing", "email"]);
    expect(resolved.config.queues.mode).toBe("polling");
    expect(resolved.config.database.url).toBe("postgres://app@db.internal:5433/app");
    expect(resolved.sources["web.port"]).toBe("env TASKER_WEB__PORT");
    expect(resolved.sources["database.pool.max_connections"]).toBe("env TASKER_DATABASE__POOL__MAX_CONNECTIONS");
    expect(resolved.sources["database.url"]).toBe("env DATABASE_URL");
  });

  test("TASKER_DATABASE__URL_wins_over_DATABASE_URL", async () => {
    const cwd = await emptyDirectory();
    const resolved = await loadConfig({
      env: { DATABASE_URL: "postgres://a@one/db", TASKER_DATABASE__URL: "postgresql://b@two/db" },
      cwd,
    });
    expect(resolved.config.database.url).toBe("postgresql://b@two/db");
    expect(resolved.sources["database.url"]).toBe("env TASKER_DATABASE__URL");
  });

  test("text_keys_take_the_variable_text_even_when_it_looks_like_a_number", async () => {
    const cwd = await emptyDirectory();
    const resolved = await loadConfig({ env: { TASKER_WORKER__HANDLERS_DIR: "2024", TASKER_WEB__HOST: "0.0.0.0" }, cwd });
    expect(resolved.config.worker.handlers_dir).toBe("2024");
    expect(resolved.config.web.host).toBe("0.0.0.0");
  });

  test("variables_without_double_underscore_are_not_config_keys", async () => {
    const cwd = await emptyDirectory();
    const resolved = await loadConfig({ env: { TASKER_ENV: "test", TASKER_SOMETHING_ELSE: "x" }, cwd });
    expect(resolved.environment).toBe("test");
    expect(resolved.config).toEqual(CONFIG_DEFAULTS);
  });

  test("flags_override_environment_variables", async () => {
    const cwd = await emptyDirectory();
    const resolved = await loadConfig({
      env: { TASKER_WEB__PORT: "9500", TASKER_QUEUES__MODE: "event" },
      cwd,
      flags: [
        { key: "web.port", value: 7000, source: "flag --port" },
        { key: "worker.namespaces", value: ["billing"], source: "flag --namespace" },
      ],
    });
    expect(resolved.config.web.port).toBe(7000);
    expect(resolved.sources["web.port"]).toBe("flag --port");
    expect(resolved.config.queues.mode).toBe("event");
    expect(resolved.config.worker.namespaces).toEqual(["billing"]);
  });

  test("the_result_is_deeply_frozen", async () => {
    const cwd = await emptyDirectory();
    const resolved = await loadConfig({ env: { TASKER_WEB__CORS_ORIGINS: '["https://a.example"]' }, cwd });
    const mutable = resolved as unknown as {
      config: { web: { port: number; cors_origins: string[] } };
      sources: Record<string, string>;
      files: string[];
    };
    expect(() => {
      mutable.config.web.port = 1;
    }).toThrow(TypeError);
    expect(() => mutable.config.web.cors_origins.push("x")).toThrow(TypeError);
    expect(() => {
      mutable.sources["web.port"] = "x";
    }).toThrow(TypeError);
    expect(() => mutable.files.push("x")).toThrow(TypeError);
    expect(() => {
      (CONFIG_DEFAULTS as unknown as { web: { port: number } }).web.port = 1;
    }).toThrow(TypeError);
  });
});
