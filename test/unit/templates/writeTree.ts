/** Test helper: writes a directory tree of files into a fresh temporary folder. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface TempTree {
  root: string;
  path(...parts: string[]): string;
  write(relative: string, content: string): void;
  symlink(relative: string, target: string): void;
  remove(): void;
}

export function writeTree(files: Record<string, string> = {}): TempTree {
  const root = mkdtempSync(join(tmpdir(), "tasker-test-"));
  const tree: TempTree = {
    root,
    path: (...parts) => join(root, ...parts),
    write(relative, content) {
      mkdirSync(dirname(join(root, relative)), { recursive: true });
      writeFileSync(join(root, relative), content);
    },
    symlink(relative, target) {
      mkdirSync(dirname(join(root, relative)), { recursive: true });
      symlinkSync(target, join(root, relative));
    },
    remove() {
      rmSync(root, { recursive: true, force: true });
    },
  };
  for (const [relative, content] of Object.entries(files)) tree.write(relative, content);
  return tree;
}

/** The message of the error `fn` throws (or rejects with); fails when it does not throw. */
export async function errorOf(fn: () => unknown): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`non-Error thrown: ${String(error)}`);
  }
  throw new Error("expected an error, none was thrown");
}
