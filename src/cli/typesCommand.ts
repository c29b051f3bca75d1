import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import sdkTypes from "../sdk/sdkTypes.generated.json" with { type: "json" };

/** Where `tasker types` puts the declarations, inside the handlers folder. */
export const TYPES_FOLDER = ".tasker/types";

/**
 * The runtime globals handler files commonly use beyond ES and DOM, declared minimally so no
 * package is needed; with `@types/bun` installed, use `"types": ["bun"]` instead of this file.
 */
const RUNTIME_GLOBALS = `// Written by \`tasker types\`: the process globals the binary's runtime provides (a minimal subset).
declare var process: {
  readonly env: Record<string, string | undefined>;
  readonly argv: string[];
  readonly pid: number;
  readonly platform: string;
  cwd(): string;
  hrtime: { bigint(): bigint };
  memoryUsage(): { rss: number; heapUsed: number; heapTotal: number };
};
`;

/** A tsconfig for the handlers folder: editors and `tsc` resolve the modules the binary serves. */
export function handlersTsconfig(): string {
  const paths = Object.fromEntries(Object.entries(sdkTypes.entries).map(([name, entry]) => [name, [`./${TYPES_FOLDER}/${entry}`]]));
  const config = {
    compilerOptions: {
      target: "ES2023",
      module: "Preserve",
      moduleResolution: "bundler",
      // DOM for fetch, AbortSignal and console; no packages to install.
      lib: ["ES2023", "DOM"],
      types: [],
      strict: true,
      noEmit: true,
      allowImportingTsExtensions: true,
      verbatimModuleSyntax: true,
      skipLibCheck: true,
      paths,
    },
    include: ["**/*.ts", "**/*.mts", `${TYPES_FOLDER}/runtime.d.ts`],
    exclude: ["**/*.test.ts"],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/**
 * `tasker types`: writes the declarations of `tasker` and `@tasker-systems/tasker` into
 * `<handlers>/.tasker/types/` (replacing what an earlier version wrote) and, when the folder has
 * no tsconfig.json, one that maps those names there; otherwise prints the `paths` to add.
 */
export function typesCommand(handlersDir: string, out: (text: string) => void): number {
  const typesDir = join(handlersDir, TYPES_FOLDER);
  rmSync(typesDir, { recursive: true, force: true });
  for (const [path, text] of Object.entries(sdkTypes.files)) {
    const target = join(typesDir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
  }
  writeFileSync(join(typesDir, "runtime.d.ts"), RUNTIME_GLOBALS);
  out(`wrote the declarations of ${Object.keys(sdkTypes.entries).join(" and ")} to ${typesDir}`);
  const tsconfig = join(handlersDir, "tsconfig.json");
  if (!existsSync(tsconfig)) {
    writeFileSync(tsconfig, handlersTsconfig());
    out(`wrote ${tsconfig}: editors and tsc -p ${relative(process.cwd(), handlersDir) || "."} now resolve both modules`);
  } else {
    const paths = Object.entries(sdkTypes.entries).map(([name, entry]) => `    "${name}": ["./${TYPES_FOLDER}/${entry}"]`);
    out(`${tsconfig} exists; add to its compilerOptions:\n  "paths": {\n${paths.join(",\n")}\n  }`);
  }
  return 0;
}
