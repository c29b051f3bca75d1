import { TaskerApiError } from "../../client/taskerApiError.ts";
import { createTaskerClient, DEFAULT_API_KEY_HEADER, DEFAULT_TASKER_URL } from "../../client/taskerClient.ts";
import { TaskerError, toError } from "../../lib/errors.ts";
import { UsageError } from "../usageError.ts";
import { runAuthCommand } from "./authCommands.ts";
import type { ClientCommand } from "./clientCommand.ts";
import type { ClientRunContext } from "./clientRunContext.ts";
import { runDlqCommand } from "./dlqCommands.ts";
import { runStepCommand } from "./stepCommands.ts";
import { runTaskCommand } from "./taskCommands.ts";
import { runTemplateCommand } from "./templateCommands.ts";

export interface ClientIo {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** For tests; default: global fetch. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
}

/** --url, else TASKER_URL, else http://127.0.0.1:8080; only http(s). */
export function resolveServerUrl(flag: string | undefined, env: ClientIo["env"]): string {
  const source = flag !== undefined ? "--url" : env["TASKER_URL"] ? "TASKER_URL" : undefined;
  const url = flag ?? (env["TASKER_URL"] || DEFAULT_TASKER_URL);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${source ?? "the server URL"} is not a URL: "${url}"`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new UsageError(`${source ?? "the server URL"} must be http:// or https://; got "${url}"`);
  }
  return url;
}

function describe(error: Error): string {
  if (error instanceof TaskerApiError) {
    return `${error.code}: ${error.message}${error.status === undefined ? "" : ` (HTTP ${error.status})`}`;
  }
  return error instanceof TaskerError ? `${error.code}: ${error.message}` : error.message;
}

/**
 * Runs a client command. Exit codes: 0 ok; 1 the API or network failed (the
 * error's code and message on stderr); 2 bad usage; 3 `task watch` saw the task
 * end in a state other than complete.
 */
export async function runClientCommand(command: ClientCommand, io: ClientIo): Promise<number> {
  try {
    if (command.group === "auth") return await runAuthCommand(command, io);
    const ctx: ClientRunContext = {
      client: createTaskerClient({
        url: resolveServerUrl(command.globals.url, io.env),
        apiKey: io.env["TASKER_API_KEY"] || undefined,
        apiKeyHeader: io.env["TASKER_API_KEY_HEADER"] || DEFAULT_API_KEY_HEADER,
        token: io.env["TASKER_AUTH_TOKEN"] || undefined,
        ...(io.fetch ? { fetch: io.fetch } : {}),
      }),
      json: command.globals.json,
      stdout: io.stdout,
      stderr: io.stderr,
      cwd: io.cwd,
      env: io.env,
      sleep: io.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      now: io.now ?? (() => new Date()),
    };
    switch (command.group) {
      case "task":
        return await runTaskCommand(command, ctx);
      case "step":
        return await runStepCommand(command, ctx);
      case "template":
        return await runTemplateCommand(command, ctx);
      case "dlq":
        return await runDlqCommand(command, ctx);
    }
  } catch (error) {
    const err = toError(error);
    io.stderr(`tasker: ${err instanceof UsageError ? err.message : describe(err)}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}
