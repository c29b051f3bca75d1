import { readTextFile, parseYaml } from "../runtime/index.ts";
import { discoverNamespaces, type NamespaceFolder } from "./discoverNamespaces.ts";
import { listNamespaceFiles } from "./listNamespaceFiles.ts";
import { checkTemplate } from "./parseTemplate.ts";
import type { TaskTemplate } from "./taskTemplate.ts";
import { TemplateError, type TemplateIssue } from "./templateError.ts";

export interface LoadedTemplate {
  template: TaskTemplate;
  /** The YAML file as the user would write it. */
  file: string;
  realPath: string;
}

export interface NamespaceTemplates extends NamespaceFolder {
  templates: LoadedTemplate[];
}

export interface TemplateCatalog {
  /** Canonical absolute path of the handlers directory. */
  handlersDir: string;
  namespaces: NamespaceTemplates[];
  /** Every template of every namespace. */
  templates: LoadedTemplate[];
}

const isTemplateFile = (name: string): boolean => name.endsWith(".yaml") || name.endsWith(".yml");

/** Which environment's `environments` overlay applies (`TASKER_ENV`); none when not given. */
export interface LoadTemplateOptions {
  environment?: string;
}

async function readTemplateFile(realPath: string, file: string, namespace: string, options: LoadTemplateOptions) {
  let raw: unknown;
  try {
    raw = parseYaml(await readTextFile(realPath));
  } catch (error) {
    return { template: null, issues: [{ file, message: `is not valid YAML: ${(error as Error).message}` }] };
  }
  return checkTemplate(raw, { file, namespace, ...(options.environment === undefined ? {} : { environment: options.environment }) });
}

async function loadNamespaceTemplates(folder: NamespaceFolder, rootReal: string, issues: TemplateIssue[], options: LoadTemplateOptions) {
  const listed = await listNamespaceFiles(folder, rootReal, isTemplateFile);
  issues.push(...listed.issues);
  const templates: LoadedTemplate[] = [];
  const byKey = new Map<string, string>();
  for (const found of listed.files) {
    const checked = await readTemplateFile(found.realPath, found.display, folder.namespace, options);
    issues.push(...checked.issues);
    if (checked.template === null) continue;
    const key = `${checked.template.name}@${checked.template.version}`;
    const other = byKey.get(key);
    if (other !== undefined) {
      issues.push({
        file: found.display,
        message: `template "${checked.template.name}" version ${checked.template.version} is also defined in ${other}`,
      });
      continue;
    }
    byKey.set(key, found.display);
    templates.push({ template: checked.template, file: found.display, realPath: found.realPath });
  }
  return templates;
}

/**
 * Reads every template of the given namespaces (default: every namespace folder) and
 * returns them with every problem found, without throwing for template problems.
 */
export async function collectTemplates(
  handlersDir: string,
  namespaces?: readonly string[],
  options: LoadTemplateOptions = {},
): Promise<{ catalog: TemplateCatalog | null; issues: TemplateIssue[] }> {
  const discovered = await discoverNamespaces(handlersDir, namespaces);
  const issues = [...discovered.issues];
  if (discovered.directory === null) return { catalog: null, issues };
  const rootReal = discovered.directory.realPath;
  const loaded: NamespaceTemplates[] = [];
  for (const folder of discovered.directory.namespaces) {
    loaded.push({ ...folder, templates: await loadNamespaceTemplates(folder, rootReal, issues, options) });
  }
  return {
    catalog: { handlersDir: rootReal, namespaces: loaded, templates: loaded.flatMap((n) => n.templates) },
    issues,
  };
}

/**
 * Loads `<handlersDir>/<namespace>/**\/*.{yaml,yml}`. Throws one `TemplateError` listing
 * every problem in every file when anything is wrong.
 */
export async function loadTemplates(handlersDir: string, namespaces?: readonly string[], options: LoadTemplateOptions = {}): Promise<TemplateCatalog> {
  const { catalog, issues } = await collectTemplates(handlersDir, namespaces, options);
  if (catalog === null || issues.length > 0) throw new TemplateError(issues);
  return catalog;
}
