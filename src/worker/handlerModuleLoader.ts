import { TaskerError, toError } from "../lib/errors.ts";
import { registerSdkModule } from "../runtime/index.ts";
import { formatTemplateIssue, type TemplateIssue } from "../templates/index.ts";

/** Handler modules that could not be used: import failures, escaping paths, ambiguous callables. */
export class HandlerModuleError extends TaskerError {
  readonly issues: readonly TemplateIssue[];

  constructor(issues: TemplateIssue[]) {
    const lines = issues.map(formatTemplateIssue);
    const message =
      lines.length === 1 ? (lines[0] ?? "") : `${lines.length} handler problems:\n${lines.map((l) => `  ${l}`).join("\n")}`;
    super("HANDLER_MODULE_INVALID", message, { details: { issues } });
    this.issues = issues;
  }
}

/** Extensions tried for `<callable>.<ext>`, in order of preference. */
export const HANDLER_EXTENSIONS = [".ts", ".mts", ".js", ".mjs"] as const;

/** Whether a file in a namespace folder is a handler module (tests and declarations are not). */
export function isHandlerModuleFile(name: string): boolean {
  if (!HANDLER_EXTENSIONS.some((ext) => name.endsWith(ext))) return false;
  return !/\.d\.[mc]?ts$/.test(name) && !/\.(test|spec)\.[mc]?[jt]s$/.test(name);
}

/** `charge_card.ts` → `{ stem: "charge_card", rank: 0 }` (rank = position in HANDLER_EXTENSIONS). */
export function moduleStem(name: string): { stem: string; rank: number } {
  const rank = HANDLER_EXTENSIONS.findIndex((ext) => name.endsWith(ext));
  const ext = HANDLER_EXTENSIONS[rank] ?? "";
  return { stem: name.slice(0, name.length - ext.length), rank };
}

export type ImportedModule = { ok: true; exports: Record<string, unknown> } | { ok: false; error: Error };

/**
 * Imports a handler file from disk by absolute path, after registering the `tasker`
 * virtual module. Never throws: a failure is returned with its cause.
 */
export async function importHandlerModule(realPath: string): Promise<ImportedModule> {
  registerSdkModule();
  try {
    const exports = (await import(realPath)) as Record<string, unknown>;
    return { ok: true, exports };
  } catch (thrown) {
    return { ok: false, error: toError(thrown) };
  }
}
