import { readdir, realpath, stat } from "node:fs/promises";

export type DirectoryEntryKind = "file" | "directory" | "symlink" | "other";

export interface DirectoryEntry {
  name: string;
  kind: DirectoryEntryKind;
}

/** The entries of one directory (not recursive), sorted by name so walks are deterministic. */
export async function listDirectory(path: string): Promise<DirectoryEntry[]> {
  const entries = await readdir(path, { withFileTypes: true });
  return entries
    .map((entry): DirectoryEntry => ({
      name: entry.name,
      kind: entry.isSymbolicLink()
        ? "symlink"
        : entry.isDirectory()
          ? "directory"
          : entry.isFile()
            ? "file"
            : "other",
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The canonical absolute path with every symlink and `..` resolved; rejects when the path does not exist. */
export async function resolveRealPath(path: string): Promise<string> {
  return realpath(path);
}

/** Whether a real path is a directory (false for files and missing paths). */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
