import type { TaskerClient } from "../../client/taskerClient.ts";

/** What a client command needs to run: the API client, output and (for watch) time. */
export interface ClientRunContext {
  client: TaskerClient;
  json: boolean;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  sleep: (ms: number) => Promise<void>;
  now: () => Date;
}

/** The API's JSON as it came, pretty-printed, for --json. */
export function writeJson(write: (text: string) => void, value: unknown): void {
  write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Who performed an operator action: --by, else $USER, else "tasker-cli". */
export function actorOf(by: string | undefined, env: ClientRunContext["env"]): string {
  return by ?? env["USER"] ?? env["LOGNAME"] ?? "tasker-cli";
}

/** Prints a command's result: the API JSON with --json, else the human form. Exit code 0. */
export function showResult(ctx: ClientRunContext, value: unknown, human: () => string): number {
  if (ctx.json) writeJson(ctx.stdout, value);
  else ctx.stdout(human());
  return 0;
}
