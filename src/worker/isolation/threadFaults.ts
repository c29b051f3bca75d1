import { readFileSync, readlinkSync } from "node:fs";
import { readProcStat } from "../../lib/procStat.ts";

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
  return minorFaultsIn(`/proc/self/task/${tid}/stat`);
}

/**
 * Minor faults of the whole process so far: every thread, live or ended, the runtime's own
 * (the garbage collector's helper threads take a large part of an allocating heap's faults).
 */
export function processMinorFaults(): number | undefined {
  return minorFaultsIn("/proc/self/stat");
}

function minorFaultsIn(path: string): number | undefined {
  return readProcStat(path)?.minorFaults;
}

const KIB = 1024;

/**
 * The most memory one minor fault can map: a huge page where transparent huge pages are on for
 * every mapping, else the kernel's page size (the heaps of Bun and Deno do not ask for huge
 * pages). Read once; 4 KiB where /proc or /sys cannot tell.
 */
export function bytesPerFault(): number {
  try {
    if (readFileSync("/sys/kernel/mm/transparent_hugepage/enabled", "utf8").includes("[always]")) {
      return Number(readFileSync("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "utf8")) || 2048 * KIB;
    }
  } catch {
    // no THP switch: base pages only
  }
  try {
    const size = /^KernelPageSize:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/smaps", "utf8"))?.[1];
    if (size !== undefined) return Number(size) * KIB;
  } catch {
    // no /proc
  }
  return 4 * KIB;
}
