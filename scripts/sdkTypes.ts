/**
 * Generates src/sdk/sdkTypes.generated.json: the TypeScript declarations of the modules the
 * binary serves to handler files (`tasker`, `@tasker-systems/tasker`), emitted by tsc from
 * src/sdk. `tasker types` writes them beside a user's handlers so editors resolve those imports.
 * `bun scripts/sdkTypes.ts` writes the file; `--check` only compares
 * (test/unit/sdk/sdkTypes.test.ts does the same).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const ROOT = join(import.meta.dir, "..");
export const SDK_TYPES_PATH = join(ROOT, "src", "sdk", "sdkTypes.generated.json");
/** The served module names and their declaration entry points, relative to the types folder. */
export const SDK_TYPE_ENTRIES = { tasker: "sdk/index.d.ts", "@tasker-systems/tasker": "sdk/compat/index.d.ts" } as const;

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

/** Emits the declarations with the repository's tsc and returns them by path (sorted). */
export function renderSdkTypes(): string {
  const out = mkdtempSync(join(tmpdir(), "tasker-sdk-types-"));
  try {
    const config = join(out, "tsconfig.json");
    writeFileSync(
      config,
      JSON.stringify({
        extends: join(ROOT, "tsconfig.json"),
        compilerOptions: { noEmit: false, declaration: true, emitDeclarationOnly: true, outDir: join(out, "types"), rootDir: join(ROOT, "src"), typeRoots: [join(ROOT, "node_modules", "@types")] },
        include: [],
        files: [join(ROOT, "src", "sdk", "index.ts"), join(ROOT, "src", "sdk", "compat", "index.ts")],
      }),
    );
    const tsc = Bun.spawnSync([join(ROOT, "node_modules", ".bin", "tsc"), "-p", config], { stdout: "pipe", stderr: "pipe" });
    if (tsc.exitCode !== 0) throw new Error(`tsc failed:\n${tsc.stdout.toString()}${tsc.stderr.toString()}`);
    const typesDir = join(out, "types");
    const files: Record<string, string> = {};
    for (const path of listFiles(typesDir).sort()) files[relative(typesDir, path)] = readFileSync(path, "utf8");
    return `${JSON.stringify({ entries: SDK_TYPE_ENTRIES, files }, null, 1)}\n`;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const rendered = renderSdkTypes();
  if (process.argv.includes("--check")) {
    const current = readFileSync(SDK_TYPES_PATH, "utf8");
    if (current !== rendered) {
      console.error("src/sdk/sdkTypes.generated.json is stale: run bun scripts/sdkTypes.ts");
      process.exit(1);
    }
  } else {
    writeFileSync(SDK_TYPES_PATH, rendered);
    console.log(`wrote ${relative(ROOT, SDK_TYPES_PATH)}`);
  }
}
