import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ConfigError, type ConfigIssue } from "../../../src/lib/errors.ts";
import { loadConfig, type ConfigInputs } from "../../../src/config/index.ts";

const created: string[] = [];

/** A fresh config root; `files` maps paths under `<root>/tasker/` (e.g. `base/web.toml`) to TOML text. */
export async function tempConfigRoot(files: Record<string, string> = {}): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "tasker-config-"));
  created.push(root);
  await mkdir(join(root, "tasker", "base"), { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    const full = join(root, "tasker", path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, text);
  }
  return root;
}

/** A working directory with no ./config folder. */
export async function emptyDirectory(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tasker-cwd-"));
  created.push(dir);
  return dir;
}

export async function removeTempDirectories(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** The issues of the ConfigError that loading must throw; fails the test when it loads. */
export async function loadIssues(inputs: ConfigInputs): Promise<{ error: ConfigError; issues: readonly ConfigIssue[] }> {
  try {
    await loadConfig(inputs);
  } catch (error) {
    if (error instanceof ConfigError) return { error, issues: error.issues };
    throw error;
  }
  throw new Error("expected loadConfig to throw a ConfigError");
}
