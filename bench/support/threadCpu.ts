/**
 * CPU seconds of a process's threads, grouped by what they are: its main thread, its handler
 * threads (named tasker-handler-N), the JavaScript engine's JIT compiler threads and the rest
 * (GC helpers, the runtime's pools). Threads come and go (handler threads are retired when
 * idle), so each is sampled while it lives and its last reading counts (/proc, 100 Hz ticks).
 */
import { readdirSync } from "node:fs";
import { readProcStat } from "../../src/lib/procStat.ts";
import { sampleEvery } from "./taskerRoles.ts";

export type ThreadGroup = "main" | "handler_threads" | "jit" | "other";

function groupOf(pid: number, tid: number, name: string): ThreadGroup {
  if (tid === pid) return "main";
  if (name.startsWith("tasker-handler")) return "handler_threads";
  if (name.startsWith("JIT")) return "jit";
  return "other";
}

export function sampleThreadCpu(pids: readonly number[], intervalMs = 100): { stop(): Map<number, Record<ThreadGroup, number>> } {
  /** pid -> tid -> [group, ticks] */
  const last = new Map<number, Map<number, [ThreadGroup, number]>>(pids.map((pid) => [pid, new Map()]));
  const sample = (): void => {
    for (const pid of pids) {
      let tids: string[];
      try {
        tids = readdirSync(`/proc/${pid}/task`);
      } catch {
        continue; // the process has exited
      }
      for (const tidText of tids) {
        const stat = readProcStat(`/proc/${pid}/task/${tidText}/stat`);
        // A thread that ended between the listing and the read keeps its previous reading.
        if (!stat) continue;
        const tid = Number(tidText);
        last.get(pid)!.set(tid, [groupOf(pid, tid, stat.name), stat.cpuTicks]);
      }
    }
  };
  return sampleEvery(intervalMs, sample, () =>
    new Map(
      [...last].map(([pid, threads]) => {
        const seconds: Record<ThreadGroup, number> = { main: 0, handler_threads: 0, jit: 0, other: 0 };
        for (const [group, ticks] of threads.values()) seconds[group] += ticks / 100;
        return [pid, seconds];
      }),
    ),
  );
}
