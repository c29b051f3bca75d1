import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parseYaml } from "../../src/runtime/index.ts";

/** Where tasker-core keeps its TypeScript examples (its layout has moved between releases). */
export interface TaskerCoreSources {
  templates: string;
  classHandlers: string | null;
  dslHandlers: string | null;
}

const firstExisting = (root: string, candidates: string[]): string | null =>
  candidates.map((c) => join(root, c)).find((path) => existsSync(path)) ?? null;

/** Finds the templates and the two handler trees in a tasker-core checkout. */
export function findSources(root: string): TaskerCoreSources {
  const templates = firstExisting(root, ["tests/fixtures/task_templates/typescript"]);
  if (!templates) throw new Error(`${root}: no tests/fixtures/task_templates/typescript (is this a tasker-core checkout?)`);
  const trees = ["workers/typescript/tests/handlers", "crates/tasker-ts/tests/handlers", "crates/workers/typescript/tests/handlers"];
  return {
    templates,
    classHandlers: firstExisting(root, trees.map((t) => `${t}/examples`)),
    dslHandlers: firstExisting(root, trees.map((t) => `${t}/dsl_examples`)),
  };
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? (name === "node_modules" ? [] : listFiles(path)) : [path];
  });
}

/**
 * An import of the package's own sources (`'../../../../../src/handler/base.js'`, as tasker-core's
 * examples import it in its repository) names `@tasker-systems/tasker`: the one change a user makes.
 */
const PACKAGE_SOURCE_IMPORT = /(['"])(?:\.\.\/)+src\/[^'"]*\1/g;

/**
 * Lays tasker-core's examples out as a handlers directory: each template in the folder of its
 * `namespace_name`, next to a copy of the handler tree of its style (class for `*_ts.yaml`, DSL
 * for `*_dsl_ts.yaml`; tasker-core registers every example handler for every namespace). Only
 * import specifiers change. Returns how many were rewritten.
 */
export function assembleHandlers(sources: TaskerCoreSources, handlersDir: string): { templates: number; rewritten: number } {
  mkdirSync(handlersDir, { recursive: true });
  let templates = 0;
  let rewritten = 0;
  for (const file of readdirSync(sources.templates).filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))) {
    const path = join(sources.templates, file);
    const namespace = (parseYaml(readFileSync(path, "utf8")) as { namespace_name?: string }).namespace_name;
    if (!namespace) continue;
    const folder = join(handlersDir, namespace);
    mkdirSync(folder, { recursive: true });
    cpSync(path, join(folder, file));
    templates += 1;
    const dsl = /_dsl(_ts)?\.ya?ml$/.test(file);
    const tree = dsl ? sources.dslHandlers : sources.classHandlers;
    const target = join(folder, dsl ? "dsl_examples" : "examples");
    if (!tree || existsSync(target)) continue;
    cpSync(tree, target, { recursive: true, filter: (src) => basename(src) !== "node_modules" });
    for (const module of listFiles(target).filter((f) => f.endsWith(".ts"))) {
      const text = readFileSync(module, "utf8");
      const changed = text.replace(PACKAGE_SOURCE_IMPORT, (_m, quote: string) => `${quote}@tasker-systems/tasker${quote}`);
      if (changed !== text) {
        rewritten += (text.match(PACKAGE_SOURCE_IMPORT) ?? []).length;
        writeFileSync(module, changed);
      }
    }
  }
  return { templates, rewritten };
}
