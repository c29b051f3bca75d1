import { readFileSync } from "node:fs";

/** What this project reads of a process's or thread's `stat` file under /proc (Linux). */
export interface ProcStat {
  /** The command or thread name (`comm`; may hold spaces and parentheses). */
  name: string;
  /** Minor page faults so far. */
  minorFaults: number;
  /** User plus system CPU time so far, in clock ticks (100 per second). */
  cpuTicks: number;
}

/** Reads `/proc/.../stat` at `path`; undefined where it cannot be read (no /proc, or the process or thread is gone). */
export function readProcStat(path: string): ProcStat | undefined {
  let stat: string;
  try {
    stat = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ..."
  const close = stat.lastIndexOf(")");
  const fields = stat.slice(close + 2).split(" ");
  const minorFaults = Number(fields[7]);
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(minorFaults) || !Number.isFinite(cpuTicks)) return undefined;
  return { name: stat.slice(stat.indexOf("(") + 1, close), minorFaults, cpuTicks };
}
