import { join } from "node:path";
import { MAX_NAMESPACE_LENGTH, NAME_PATTERN } from "../lib/names.ts";
import { isDirectory, listDirectory, resolveRealPath } from "../runtime/index.ts";
import { isInsideDirectory, isSkippedName } from "./listNamespaceFiles.ts";
import type { TemplateIssue } from "./templateError.ts";

export interface NamespaceFolder {
  namespace: string;
  /** Canonical absolute path of the folder. */
  realPath: string;
  /** The folder as the user would write it (`handlers/payments`). */
  display: string;
}

export interface HandlersDirectory {
  /** Canonical absolute path of the handlers directory; nothing is loaded from outside it. */
  realPath: string;
  display: string;
  namespaces: NamespaceFolder[];
}

const isNamespaceName = (name: string): boolean => NAME_PATTERN.test(name) && name.length <= MAX_NAMESPACE_LENGTH;

/**
 * The namespace folders to load: the folders directly under `handlersDir` (default: every
 * folder whose name is a valid namespace; `node_modules`, `_*`, `.*` skipped), or exactly
 * the requested `namespaces`, each of which must be a valid name with a folder.
 */
export async function discoverNamespaces(
  handlersDir: string,
  namespaces?: readonly string[],
): Promise<{ directory: HandlersDirectory | null; issues: TemplateIssue[] }> {
  const display = join(handlersDir);
  let rootReal: string;
  try {
    rootReal = await resolveRealPath(handlersDir);
  } catch {
    return { directory: null, issues: [{ file: display, message: "handlers directory does not exist" }] };
  }
  if (!(await isDirectory(rootReal))) {
    return { directory: null, issues: [{ file: display, message: "handlers path is not a directory" }] };
  }

  const issues: TemplateIssue[] = [];
  let names: string[];
  if (namespaces === undefined) {
    const entries = await listDirectory(rootReal);
    names = entries
      .filter((e) => (e.kind === "directory" || e.kind === "symlink") && !isSkippedName(e.name) && isNamespaceName(e.name))
      .map((e) => e.name);
  } else {
    names = [...new Set(namespaces)];
  }

  const folders: NamespaceFolder[] = [];
  for (const namespace of names) {
    const folderDisplay = join(display, namespace);
    if (!isNamespaceName(namespace)) {
      issues.push({
        file: folderDisplay,
        message: `"${namespace}" is not a valid namespace (${NAME_PATTERN.source}, up to ${MAX_NAMESPACE_LENGTH} characters)`,
      });
      continue;
    }
    let real: string | null = null;
    try {
      real = await resolveRealPath(join(rootReal, namespace));
    } catch {
      real = null;
    }
    if (real === null || !(await isDirectory(real))) {
      if (namespaces !== undefined) issues.push({ file: folderDisplay, message: `namespace "${namespace}" has no folder` });
      continue;
    }
    if (!isInsideDirectory(rootReal, real) || real === rootReal) {
      issues.push({ file: folderDisplay, message: `resolves to ${real}, outside the handlers directory ${rootReal}` });
      continue;
    }
    folders.push({ namespace, realPath: real, display: folderDisplay });
  }
  return { directory: { realPath: rootReal, display, namespaces: folders }, issues };
}
