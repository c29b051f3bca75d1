/** tasker run from source on Deno, as `npm run start:deno` runs it. */
import { join } from "node:path";
import { REPO_ROOT, spawnCommand, type SpawnOptions, type TaskerProcess } from "../support/binary.ts";

export const DENO = join(REPO_ROOT, "node_modules", ".bin", "deno");
export const DENO_COMMAND = [DENO, "run", "-A", "--config", join(REPO_ROOT, "deno.json"), join(REPO_ROOT, "src", "main.ts")];

export function spawnDenoTasker(args: string[], options: SpawnOptions = {}): TaskerProcess {
  return spawnCommand([...DENO_COMMAND, ...args], options);
}
