/**
 * How much memory each handler thread holds. A thread whose event loop runs reports its own
 * heap size (exact). A thread whose loop is blocked (a tight loop) cannot; the process's RSS
 * growth meanwhile is then shared among the threads by the page faults each took, so a
 * blocked loop that allocates is charged and a blocked loop that only computes is not.
 */
export interface ThreadMeter {
  /** The thread's last heap report. */
  heapBytes: number;
  reportedAt: number;
  /** RSS growth charged to the thread since its last report. */
  charged: number;
  /** Its minor-fault count at the previous watchdog tick (undefined: unknown). */
  faults: number | undefined;
}

export function newMeter(now: number): ThreadMeter {
  return { heapBytes: 0, reportedAt: now, charged: 0, faults: undefined };
}

/** A fresh heap report replaces every estimate. */
export function recordHeapReport(meter: ThreadMeter, heapBytes: number, now: number): void {
  meter.heapBytes = heapBytes;
  meter.reportedAt = now;
  meter.charged = 0;
}

/**
 * One watchdog tick: `rssGrowth` bytes appeared since the previous tick. Each thread gets the
 * share of it that its new faults are of all new faults (`otherFaults`: the rest of the
 * process's threads, e.g. the worker's own loop). A thread seen for the first time, or whose
 * count cannot be read, took none this tick. Where no thread's count can be read (no /proc),
 * each thread is charged all of it (an over-estimate that errs toward stopping a blocked thread).
 */
export function chargeGrowth(meters: readonly ThreadMeter[], faultsNow: readonly (number | undefined)[], otherFaults: number, rssGrowth: number): void {
  const deltas = meters.map((meter, i) => {
    const now = faultsNow[i];
    const before = meter.faults;
    meter.faults = now;
    return now === undefined || before === undefined ? 0 : Math.max(0, now - before);
  });
  if (rssGrowth <= 0) return;
  if (faultsNow.every((f) => f === undefined)) {
    for (const meter of meters) meter.charged += rssGrowth;
    return;
  }
  const total = deltas.reduce((sum, d) => sum + d, 0) + Math.max(0, otherFaults);
  if (total === 0) return;
  meters.forEach((meter, i) => (meter.charged += (rssGrowth * (deltas[i] ?? 0)) / total));
}

/** The thread's memory: its heap while it reports, plus what it was charged once it stops. */
export function estimateThreadBytes(meter: ThreadMeter, now: number, staleAfterMs: number): number {
  return now - meter.reportedAt <= staleAfterMs ? meter.heapBytes : meter.heapBytes + meter.charged;
}
