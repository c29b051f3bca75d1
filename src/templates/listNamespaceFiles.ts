import { join, sep } from "node:path";
import { isDirectory, listDirectory, resolveRealPath } from "../runtime/index.ts";
import type { TemplateIssue } from "./templateError.ts";

/** A file found below a namespace folder. */
export interface NamespaceFile {
  /** Canonical absolute path (symlinks resolved); always inside the handlers directory. */
  realPath: string;
  /** The path as the user would write it (`handlers/payments/orders/process_order.yaml`). */
  display: string;
  /** Directory depth below the namespace folder: 0 for a file directly in it. */
  depth: number;
  /** File name without directories. */
  name: string;
}

/** Names the loaders never descend into or read: `node_modules`, `_private`, `.hidden`. */
export function isSkippedName(name: string): boolean {
  return name === "node_modules" || name.startsWith("_") || name.startsWith(".");
}

export function isInsideDirectory(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

async function realPathOrNull(path: string): Promise<string | null> {
  try {
    return await resolveRealPath(path);
  } catch {
    return null;
  }
}

/**
 * Every file below `namespaceDir` (any depth) whose name `accept`s, sorted by depth then
 * path. Skips `node_modules`, `_*` and `.*`. Follows symlinks only while their real path
 * stays inside `rootReal` (the handlers directory); an escaping file or folder is an issue,
 * not a silent skip. Each real file and folder is visited once (symlink loops are safe).
 */
export async function listNamespaceFiles(
  namespaceDir: { realPath: string; display: string },
  rootReal: string,
  accept: (name: string) => boolean,
): Promise<{ files: NamespaceFile[]; issues: TemplateIssue[] }> {
  const files: NamespaceFile[] = [];
  const issues: TemplateIssue[] = [];
  const seenFiles = new Set<string>();
  const seenDirs = new Set<string>([namespaceDir.realPath]);

  const walk = async (dirReal: string, dirDisplay: string, depth: number): Promise<void> => {
    for (const entry of await listDirectory(dirReal)) {
      if (isSkippedName(entry.name) || entry.kind === "other") continue;
      const display = join(dirDisplay, entry.name);
      const real = await realPathOrNull(join(dirReal, entry.name));
      if (real === null) {
        if (accept(entry.name)) issues.push({ file: display, message: "is a broken symlink" });
        continue;
      }
      const directory = entry.kind === "directory" || (entry.kind === "symlink" && (await isDirectory(real)));
      if (!directory && !accept(entry.name)) continue;
      if (!isInsideDirectory(rootReal, real)) {
        issues.push({ file: display, message: `resolves to ${real}, outside the handlers directory ${rootReal}` });
        continue;
      }
      if (directory) {
        if (seenDirs.has(real)) continue;
        seenDirs.add(real);
        await walk(real, display, depth + 1);
      } else if (!seenFiles.has(real)) {
        seenFiles.add(real);
        files.push({ realPath: real, display, depth, name: entry.name });
      }
    }
  };

  await walk(namespaceDir.realPath, namespaceDir.display, 0);
  files.sort((a, b) => a.depth - b.depth || (a.display < b.display ? -1 : a.display > b.display ? 1 : 0));
  return { files, issues };
}
