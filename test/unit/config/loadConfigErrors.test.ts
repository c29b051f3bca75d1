import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { emptyDirectory, loadIssues, removeTempDirectories, tempConfigRoot } from "./tempConfigRoot.ts";

afterAll(removeTempDirectories);

describe("loadConfig errors", () => {
  test("a_bad_value_in_a_file_names_the_key_the_value_and_the_file", async () => {
    const root = await tempConfigRoot({ "base/database.toml": "[database.pool]\nmax_connections = 5000\n" });
    const { issues, error } = await loadIssues({ env: { TASKER_CONFIG_ROOT: root }, cwd: "/" });
    const file = join(root, "tasker/base/database.toml");
    expect(issues).toEqual([
      { key: "database.pool.max_connections", value: 5000, source: file, message: "must be an integer between 1 and 1000" },
    ]);
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain(`database.pool.max_connections = 5000 (from ${file})`);
  });

  test("a_value_of_the_wrong_type_is_rejected_not_replaced_by_the_default", async () => {
    const root = await tempConfigRoot({ "base/web.toml": '[web]\nport = "8080"\n' });
    const { issues } = await loadIssues({ env: { TASKER_CONFIG_ROOT: root }, cwd: "/" });
    expect(issues.map((i) => [i.key, i.value])).toEqual([["web.port", "8080"]]);
  });

  test("a_bad_environment_variable_names_the_variable", async () => {
    const cwd = await emptyDirectory();
    const { issues } = await loadIssues({ env: { TASKER_WEB__PORT: "70000", TASKER_QUEUES__MODE: "push" }, cwd });
    expect(issues).toEqual([
      { key: "queues.mode", value: "push", source: "env TASKER_QUEUES__MODE", message: 'must be one of "hybrid", "event", "polling"' },
      { key: "web.port", value: 70000, source: "env TASKER_WEB__PORT", message: "must be an integer between 0 and 65535" },
    ]);
  });

  test("an_empty_environment_variable_is_an_error_not_a_missing_value", async () => {
    const cwd = await emptyDirectory();
    const { issues } = await loadIssues({ env: { TASKER_WEB__HOST: "", DATABASE_URL: "" }, cwd });
    expect(issues.map((i) => [i.key, i.source, i.message])).toEqual([
      ["database.url", "env DATABASE_URL", "must not be empty"],
      ["web.host", "env TASKER_WEB__HOST", "must not be empty"],
    ]);
  });

  test("an_invalid_namespace_names_the_item", async () => {
    const cwd = await emptyDirectory();
    const long = "n".repeat(40);
    const { issues } = await loadIssues({ env: { TASKER_WORKER__NAMESPACES: `["ok", "Bad-Name", "${long}"]` }, cwd });
    expect(issues.map((i) => [i.key, i.value, i.message.split(":")[0]])).toEqual([
      ["worker.namespaces", "Bad-Name", "item 1"],
      ["worker.namespaces", long, "item 2"],
    ]);
    expect(issues[1]?.message).toContain("at most 34 characters");
  });

  test("reconnect_max_below_reconnect_base_is_rejected", async () => {
    const cwd = await emptyDirectory();
    const { issues } = await loadIssues({ env: { TASKER_QUEUES__LISTENER__RECONNECT_BASE_MS: "20000" }, cwd });
    expect(issues).toEqual([
      { key: "queues.listener.reconnect_max_ms", value: 10000, source: "default", message: "must be >= queues.listener.reconnect_base_ms" },
    ]);
  });

  test("an_unknown_key_in_a_file_names_the_file_and_the_key", async () => {
    const root = await tempConfigRoot({ "environments/development/queues.toml": "[queues]\npoll_intervall_ms = 10\n" });
    const { issues } = await loadIssues({ env: { TASKER_CONFIG_ROOT: root }, cwd: "/" });
    expect(issues).toEqual([
      {
        key: "queues.poll_intervall_ms",
        value: 10,
        source: join(root, "tasker/environments/development/queues.toml"),
        message: "unknown config key (did you mean queues.poll_interval_ms?)",
      },
    ]);
  });

  test("an_unknown_section_and_a_value_where_a_table_belongs_are_errors", async () => {
    const root = await tempConfigRoot({ "base/x.toml": "database = 5\n[tracing]\nenabled = true\n" });
    const { issues } = await loadIssues({ env: { TASKER_CONFIG_ROOT: root }, cwd: "/" });
    expect(issues.map((i) => [i.key, i.message])).toEqual([
      ["database", "must be a table ([database]), not a single value"],
      ["tracing", "unknown config key"],
    ]);
  });

  test("a_key_set_in_two_files_of_one_directory_is_an_error", async () => {
    const root = await tempConfigRoot({ "base/a.toml": "[web]\nport = 1\n", "base/b.toml": "[web]\nport = 2\n" });
    const { issues } = await loadIssues({ env: { TASKER_CONFIG_ROOT: root }, cwd: "/" });
    expect(issues).toHaveLength(1);
    expect(issues[0]?.source).toBe(join(root, "tasker/base/b.toml"));
    expect(issues[0]?.message).toContain(join(root, "tasker/base/a.toml"));
  });

  test("a_file_that_is_not_toml_names_the_file", async () => {
    const root = await tempConfigRoot({ "base/web.toml": "[web\nport = \n" });
    const { issues } = await loadIssues({ env: { TASKER_CONFIG_ROOT: root }, cwd: "/" });
    expect(issues).toHaveLength(1);
    expect(issues[0]?.source).toBe(join(root, "tasker/base/web.toml"));
    expect(issues[0]?.message).toStartWith("not valid TOML");
  });

  test("an_unknown_TASKER_variable_names_the_variable", async () => {
    const cwd = await emptyDirectory();
    const { issues } = await loadIssues({ env: { TASKER_WEB__PROT: "1", TASKER_DATABASE__POOL: "3" }, cwd });
    expect(issues).toEqual([
      {
        key: "database.pool",
        value: "3",
        source: "env TASKER_DATABASE__POOL",
        message: "TASKER_DATABASE__POOL is a section, not a key; set one of its keys instead",
      },
      { key: "web.prot", value: "1", source: "env TASKER_WEB__PROT", message: "unknown config key (did you mean TASKER_WEB__PORT?)" },
    ]);
  });

  test("an_unknown_flag_key_names_the_flag", async () => {
    const cwd = await emptyDirectory();
    const { issues } = await loadIssues({ env: {}, cwd, flags: [{ key: "web.prot", value: 1, source: "flag --prot" }] });
    expect(issues.map((i) => [i.key, i.source])).toEqual([["web.prot", "flag --prot"]]);
  });

  test("a_bad_flag_value_names_the_flag", async () => {
    const cwd = await emptyDirectory();
    const { issues } = await loadIssues({ env: {}, cwd, flags: [{ key: "web.port", value: -1, source: "flag --port" }] });
    expect(issues).toEqual([{ key: "web.port", value: -1, source: "flag --port", message: "must be an integer between 0 and 65535" }]);
  });

  test("a_bad_TASKER_ENV_names_the_variable", async () => {
    const cwd = await emptyDirectory();
    for (const value of ["staging", ""]) {
      const { issues, error } = await loadIssues({ env: { TASKER_ENV: value }, cwd });
      expect(issues).toEqual([
        { key: "environment", value, source: "env TASKER_ENV", message: "TASKER_ENV must be one of test, development, production" },
      ]);
      expect(error.message).toContain("TASKER_ENV");
    }
  });

  test("a_missing_TASKER_CONFIG_ROOT_directory_is_an_error", async () => {
    const cwd = await emptyDirectory();
    const { issues } = await loadIssues({ env: { TASKER_CONFIG_ROOT: join(cwd, "nope") }, cwd });
    expect(issues.map((i) => [i.key, i.source])).toEqual([["config_root", "env TASKER_CONFIG_ROOT"]]);
    expect(issues[0]?.message).toContain("does not exist");
  });

  test("a_TASKER_CONFIG_ROOT_without_a_tasker_folder_is_an_error", async () => {
    const cwd = await emptyDirectory();
    const { issues } = await loadIssues({ env: { TASKER_CONFIG_ROOT: cwd }, cwd });
    expect(issues[0]?.message).toContain("has no tasker/ folder");
  });

  test("every_issue_is_reported_at_once", async () => {
    const root = await tempConfigRoot({
      "base/web.toml": "[web]\nport = -5\nbody_limit_bytes = 10\n",
      "base/typo.toml": "[worker]\nhandler_dir = \"x\"\n",
    });
    const { issues } = await loadIssues({
      env: { TASKER_CONFIG_ROOT: root, TASKER_ENV: "prod", TASKER_TELEMETRY__LOG_LEVEL: "loud", TASKER_NOPE__X: "1" },
      cwd: "/",
      flags: [{ key: "queues.batch_size", value: 0, source: "flag --batch" }],
    });
    expect(issues.map((i) => `${i.key} <- ${i.source.replace(root, "<root>")}`).sort()).toEqual([
      "environment <- env TASKER_ENV",
      "nope.x <- env TASKER_NOPE__X",
      "queues.batch_size <- flag --batch",
      "telemetry.log_level <- env TASKER_TELEMETRY__LOG_LEVEL",
      "web.body_limit_bytes <- <root>/tasker/base/web.toml",
      "web.port <- <root>/tasker/base/web.toml",
      "worker.handler_dir <- <root>/tasker/base/typo.toml",
    ]);
  });
});
