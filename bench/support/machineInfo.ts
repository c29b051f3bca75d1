/** What the figures were measured on: machine, runtime, PostgreSQL and its settings, git revision. */
import { execFileSync } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";
import { REPO_ROOT } from "../../test/support/binary.ts";
import { adminSql } from "./benchDatabase.ts";

export interface MachineInfo {
  date: string;
  gitSha: string;
  gitDirty: boolean;
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  loadAverageAtStart: number[];
  bun: string;
  postgres: { version: string; settings: Record<string, string> };
}

const SETTINGS = [
  "shared_buffers", "work_mem", "effective_cache_size", "max_connections", "synchronous_commit", "fsync",
  "full_page_writes", "wal_level", "random_page_cost", "jit", "max_worker_processes", "shared_preload_libraries",
];

function git(args: string[]): string | undefined {
  try {
    return execFileSync("git", args, { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

export async function machineInfo(): Promise<MachineInfo> {
  const sql = adminSql();
  try {
    const [v] = await sql<{ version: string }[]>`SELECT version()`;
    const rows = await sql<{ name: string; setting: string; unit: string | null }[]>`
      SELECT name, setting, unit FROM pg_settings WHERE name = ANY (${SETTINGS}::text[]) ORDER BY name`;
    return {
      date: new Date().toISOString(),
      gitSha: git(["rev-parse", "--short", "HEAD"]) ?? "nogit",
      gitDirty: (git(["status", "--porcelain", "--untracked-files=no"]) ?? "") !== "",
      cores: cpus().length,
      cpuModel: cpus()[0]?.model ?? "unknown",
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
      bun: Bun.version,
      postgres: {
        version: v!.version,
        settings: Object.fromEntries(rows.map((r) => [r.name, r.unit ? `${r.setting} ${r.unit}` : r.setting])),
      },
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
