import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { TaskerError } from "../../lib/errors.ts";

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
};

/**
 * Runs `body` while holding `<path>` (a file created exclusively, holding this pid), so processes
 * started together (an orchestration and a worker on a fresh checkout) do not both initialize
 * or start the embedded server. A lock whose process is gone is taken over; waiting gives up
 * after `timeoutMs`.
 */
export async function withStartLock<T>(path: string, body: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST") throw error;
      let holder = Number.NaN;
      try {
        holder = Number(readFileSync(path, "utf8").trim());
      } catch {
        continue; // released between the two calls
      }
      if (!Number.isInteger(holder) || !alive(holder)) {
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new TaskerError("EMBEDDED_POSTGRES_FAILED", `embedded PostgreSQL: process ${holder} has been starting it for over ${timeoutMs / 1000} s (${path})`);
      }
      await new Promise((done) => setTimeout(done, 100));
    }
  }
  try {
    return await body();
  } finally {
    rmSync(path, { force: true });
  }
}
