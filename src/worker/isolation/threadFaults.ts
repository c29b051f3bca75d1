import { readFileSync, readlinkSync } from "node:fs";

/**
 * Per-thread counts of minor page faults (Linux /proc): a thread that allocates new memory
 * touches new pages and faults on them, one that only computes does not. They tell the memory
 * watchdog which blocked thread made the process grow. Undefined where /proc is missing.
 */

/** The kernel thread id of the calling thread (/proc/thread-self → "<pid>/task/<tid>"). */
export function currentThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    return Number.isInteger(tid) ? tid : undefined;
  } catch {
    return undefined;
  }
}

/** Minor faults of a thread of this process so far (field 10 of /proc/self/task/<tid>/stat). */
export function minorFaults(tid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    // "tid (comm) state ppid pgrp session tty tpgid flags minflt ..."; comm may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const value = Number(fields[7]);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
