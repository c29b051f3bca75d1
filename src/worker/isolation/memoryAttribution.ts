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

/** What the watchdog read of the whole process in one tick. */
export interface ProcessTick {
  /** Bytes the process's RSS grew since the previous tick (may be negative). */
  rssGrowth: number;
  /** Minor faults of the whole process since the previous tick; undefined where /proc is missing. */
  faults: number | undefined;
  /** The most one fault can map (threadFaults.bytesPerFault). */
  bytesPerFault: number;
}

/**
 * One watchdog tick. Each thread gets the share of the RSS growth that its new faults are of the
 * process's new faults (the rest belong to the runtime's own threads: the worker's loop, the
 * garbage collector's helpers), and never more than its faults can have mapped: a thread that
 * merely starts or loads a module while another hoards is charged what it touched, no more.
 * A thread seen for the first time, or whose count cannot be read (it has not said its thread
 * id yet, so it has run nothing), took none this tick. Where /proc is missing, each thread is
 * charged all of it (an over-estimate that errs toward stopping a blocked thread).
 */
export function chargeGrowth(meters: readonly ThreadMeter[], faultsNow: readonly (number | undefined)[], tick: ProcessTick): void {
  const deltas = meters.map((meter, i) => {
    const now = faultsNow[i];
    const before = meter.faults;
    meter.faults = now;
    return now === undefined || before === undefined ? 0 : Math.max(0, now - before);
  });
  if (tick.rssGrowth <= 0) return;
  if (tick.faults === undefined) {
    for (const meter of meters) meter.charged += tick.rssGrowth;
    return;
  }
  const threads = deltas.reduce((sum, d) => sum + d, 0);
  const total = Math.max(threads, tick.faults);
  if (total === 0) return;
  meters.forEach((meter, i) => {
    const faults = deltas[i] ?? 0;
    meter.charged += Math.min((tick.rssGrowth * faults) / total, faults * tick.bytesPerFault);
  });
}

/** The thread's memory: its heap while it reports, plus what it was charged once it stops. */
export function estimateThreadBytes(meter: ThreadMeter, now: number, staleAfterMs: number): number {
  return now - meter.reportedAt <= staleAfterMs ? meter.heapBytes : meter.heapBytes + meter.charged;
}
