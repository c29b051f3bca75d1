import { afterAll, describe, expect, test } from "bun:test";
import { CONFIG_DEFAULTS, configView, loadConfig, maskSecrets, renderConfig, type TaskerConfig } from "../../../src/config/index.ts";
import { maskConfigValue, maskUrlCredentials } from "../../../src/config/maskSecrets.ts";
import { emptyDirectory, loadIssues, removeTempDirectories, tempConfigRoot } from "./tempConfigRoot.ts";

afterAll(removeTempDirectories);

const PASSWORD = "hunter2-s3cret";

describe("secret masking", () => {
  test("maskSecrets_hides_the_database_url_password_and_keeps_the_rest", () => {
    const config: TaskerConfig = {
      ...CONFIG_DEFAULTS,
      database: { ...CONFIG_DEFAULTS.database, url: `postgres://app:${PASSWORD}@db:5432/tasker?sslmode=require` },
    };
    const masked = maskSecrets(config);
    expect(masked.database.url).toBe("postgres://app:****@db:5432/tasker?sslmode=require");
    expect(masked.web).toEqual(CONFIG_DEFAULTS.web);
    expect(config.database.url).toContain(PASSWORD);
    expect(Object.isFrozen(masked.database)).toBe(true);
  });

  test("maskSecrets_leaves_a_url_without_password_unchanged", () => {
    expect(maskSecrets(CONFIG_DEFAULTS).database.url).toBe(CONFIG_DEFAULTS.database.url);
  });

  test("keys_named_like_secrets_are_masked_whole", () => {
    for (const key of ["web.auth.api_key", "x.jwt_private_key", "a.password", "b.client_secret", "c.token"]) {
      expect(maskConfigValue(key, PASSWORD)).toBe("****");
    }
    expect(maskConfigValue("web.host", "example.com")).toBe("example.com");
  });

  test("an_otlp_endpoint_with_credentials_is_masked_like_a_url", () => {
    expect(maskConfigValue("telemetry.otlp.endpoint", `https://collector:${PASSWORD}@otel.example:4318`)).toBe("https://collector:****@otel.example:4318");
  });

  test("the_config_view_of_GET_config_holds_no_secret_and_counts_api_keys", () => {
    const config: TaskerConfig = {
      ...CONFIG_DEFAULTS,
      database: { ...CONFIG_DEFAULTS.database, url: `postgres://app:${PASSWORD}@db:5432/tasker` },
      web: {
        ...CONFIG_DEFAULTS.web,
        auth: { ...CONFIG_DEFAULTS.web.auth, enabled: true, api_keys: [{ key: `key-${PASSWORD}-0123456789`, permissions: ["tasks:read"], description: "reader" }] },
      },
    };
    const view = configView(config, { role: "orchestration", environment: "test", version: "0.1.0", process_id: "p" });
    expect(JSON.stringify(view)).not.toContain(PASSWORD);
    expect(view["metadata"]).toMatchObject({ role: "orchestration", environment: "test" });
    expect((view["web"] as { auth: unknown }).auth).toMatchObject({ enabled: true, api_key_count: 1, api_key_permissions: [["tasks:read"]], verification_method: "none" });
    expect((view["database"] as { url: string }).url).toBe("postgres://app:****@db:5432/tasker");
  });

  test("url_passwords_are_masked_even_when_the_url_is_malformed", () => {
    expect(maskUrlCredentials(`postgres://app:${PASSWORD}@db/x`)).toBe("postgres://app:****@db/x");
    expect(maskUrlCredentials(`postgres://app:pa/${PASSWORD}@db/x`)).toBe("postgres://****@db/x");
    expect(maskUrlCredentials(`postgres://app:p@${PASSWORD}@db/x`)).toBe("postgres://app:****@db/x");
    expect(maskUrlCredentials(`app:${PASSWORD}@db`)).toBe("app:****@db");
    expect(maskUrlCredentials(`postgres://db/x?user=a&password=${PASSWORD}`)).toBe("postgres://db/x?user=a&password=****");
  });

  test("an_invalid_database_url_does_not_print_its_password", async () => {
    const cwd = await emptyDirectory();
    for (const url of [`mysql://app:${PASSWORD}@db/x`, `postgres://app:${PASSWORD}@`, `app:${PASSWORD}@db`]) {
      const { issues, error } = await loadIssues({ env: { DATABASE_URL: url }, cwd });
      expect(issues.map((i) => [i.key, i.source, i.message])).toEqual([
        ["database.url", "env DATABASE_URL", "must be a postgres:// or postgresql:// URL with a host"],
      ]);
      expect(JSON.stringify(issues)).not.toContain(PASSWORD);
      expect(error.message).not.toContain(PASSWORD);
      expect(error.message).toContain("****");
    }
  });

  test("a_database_url_in_a_file_with_an_unknown_secret_key_does_not_print_secrets", async () => {
    const root = await tempConfigRoot({ "base/database.toml": `[database]\npassword = "${PASSWORD}"\n` });
    const { error } = await loadIssues({ env: { TASKER_CONFIG_ROOT: root, TASKER_DATABASE__API_TOKEN: PASSWORD }, cwd: "/" });
    expect(error.message).toContain("database.password");
    expect(error.message).toContain("database.api_token");
    expect(error.message).not.toContain(PASSWORD);
  });

  test("a_malformed_toml_file_does_not_echo_its_content", async () => {
    const root = await tempConfigRoot({ "base/database.toml": `[database]\nurl = postgres://app:${PASSWORD}@db\n` });
    const { error } = await loadIssues({ env: { TASKER_CONFIG_ROOT: root }, cwd: "/" });
    expect(error.message).toContain("not valid TOML");
    expect(error.message).not.toContain(PASSWORD);
  });

  test("renderConfig_masks_the_database_password", async () => {
    const cwd = await emptyDirectory();
    const resolved = await loadConfig({ env: { DATABASE_URL: `postgresql://app:${PASSWORD}@db/tasker` }, cwd });
    const text = renderConfig(resolved);
    expect(text).not.toContain(PASSWORD);
    expect(text).toMatch(/^url = "postgresql:\/\/app:\*\*\*\*@db\/tasker" +# env DATABASE_URL$/m);
  });
});
