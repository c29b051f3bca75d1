import { describe, expect, test } from "bun:test";
import { parseCommandLine } from "../../../src/cli/parseCommandLine.ts";
import { roleFlags } from "../../../src/cli/roleFlags.ts";
import { UsageError } from "../../../src/cli/usageError.ts";

const usageErrorOf = (argv: string[]): string => {
  try {
    parseCommandLine(argv);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error(`no usage error for ${argv.join(" ")}`);
};

describe("parseCommandLine", () => {
  test("parses_a_worker_with_repeated_namespaces_and_every_flag", () => {
    const command = parseCommandLine([
      "--role", "worker", "--namespace", "payments", "--namespace", "email",
      "--handlers", "/srv/handlers", "--port", "9001", "--mode", "polling", "--migrate",
    ]);
    expect(command).toEqual({
      kind: "role",
      options: {
        role: "worker",
        namespaces: ["payments", "email"],
        handlersDir: "/srv/handlers",
        port: 9001,
        mode: "polling",
        migrate: true, databaseMode: undefined,
      },
    });
  });

  test("recognises_migrate_config_check_version_and_help", () => {
    expect(parseCommandLine(["migrate"])).toEqual({ kind: "migrate" });
    expect(parseCommandLine(["config", "check"])).toEqual({ kind: "config-check", role: undefined });
    expect(parseCommandLine(["config", "check", "--role", "worker"])).toEqual({ kind: "config-check", role: "worker" });
    expect(parseCommandLine(["--version"])).toEqual({ kind: "version" });
    expect(parseCommandLine(["-h"])).toEqual({ kind: "help" });
  });

  test("rejects_unknown_flags_roles_modes_ports_and_commands", () => {
    expect(usageErrorOf(["--role", "worker", "--bogus"])).toContain("--bogus");
    expect(usageErrorOf(["--role", "boss"])).toContain("--role must be one of");
    expect(usageErrorOf(["--role", "worker", "--mode", "push"])).toContain("--mode must be one of");
    expect(usageErrorOf(["--role", "worker", "--port", "99999"])).toContain("--port");
    expect(usageErrorOf(["--role", "worker", "--port", "8o8o"])).toContain("--port");
    expect(usageErrorOf(["deploy"])).toContain('unknown command "deploy"');
    expect(usageErrorOf(["config", "show"])).toContain("config check");
    expect(usageErrorOf(["migrate", "now"])).toContain('"now"');
    expect(usageErrorOf([])).toContain("no command");
  });
});

describe("roleFlags", () => {
  test("port_flag_sets_the_worker_port_for_workers_and_the_api_port_otherwise", () => {
    const base = { namespaces: [], handlersDir: undefined, mode: undefined, migrate: false, databaseMode: undefined, port: 9000 };
    expect(roleFlags({ ...base, role: "worker" })).toEqual([{ key: "web.worker_port", value: 9000, source: "flag --port" }]);
    expect(roleFlags({ ...base, role: "combined" })).toEqual([{ key: "web.port", value: 9000, source: "flag --port" }]);
  });
});
