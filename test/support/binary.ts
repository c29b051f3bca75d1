/**
 * Runs the compiled binary (`dist/tasker`) as a user would. e2e tests drive this,
 * never the sources. `npm test` builds it first; a missing binary is a clear error.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { waitFor } from "./waitFor.ts";

export const REPO_ROOT = resolve(import.meta.dir, "../..");
export const BINARY = join(REPO_ROOT, "dist", "tasker");

export function assertBinaryBuilt(): void {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run \`npm run build\` first (npm test does)`);
}

export interface TaskerProcess {
  readonly pid: number;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Parsed JSON log lines from stderr (non-JSON lines skipped). */
  logs(): Array<Record<string, unknown>>;
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(signal?: NodeJS.Signals | number): void;
  /** Resolves with the exit code. */
  readonly exited: Promise<number>;
}

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
}

async function collect(stream: ReadableStream<Uint8Array>, sink: { text: string }): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) sink.text += decoder.decode(chunk, { stream: true });
}

export function spawnTasker(args: string[], options: SpawnOptions = {}): TaskerProcess {
  assertBinaryBuilt();
  return spawnCommand([BINARY, ...args], options);
}

/** Runs tasker through any command (the binary, or a runtime and src/main.ts), collecting its output. */
export function spawnCommand(command: string[], options: SpawnOptions = {}): TaskerProcess {
  const child = Bun.spawn(command, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "/tmp", TASKER_ENV: "test", ...options.env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = { text: "" };
  const err = { text: "" };
  const reading = Promise.all([collect(child.stdout, out), collect(child.stderr, err)]);
  const logs = (): Array<Record<string, unknown>> =>
    err.text
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  const exited = child.exited.then(async (code) => {
    await reading;
    return code;
  });
  let exitCode: number | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  return {
    pid: child.pid,
    stdout: () => out.text,
    stderr: () => err.text,
    logs,
    waitForLog: async (predicate, timeoutMs = 20_000) => {
      const EXITED = { exited: true };
      const found = await waitFor(() => logs().find(predicate) ?? (exitCode === undefined ? undefined : EXITED), {
        timeoutMs,
        description: () => `a log line from tasker; its stderr:\n${err.text.slice(-2000)}`,
      });
      if (found === EXITED) {
        throw new Error(`tasker exited with ${exitCode} before the log line appeared:\n${err.text.slice(-3000)}`);
      }
      return found;
    },
    kill: (signal = "SIGTERM") => child.kill(signal),
    exited,
  };
}

/** Runs the binary to completion and returns its output. */
export async function runTasker(
  args: string[],
  options: SpawnOptions = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = spawnTasker(args, options);
  const code = await proc.exited;
  return { code, stdout: proc.stdout(), stderr: proc.stderr() };
}
