import { describe, expect, test } from "bun:test";
import { chargeGrowth, estimateThreadBytes, newMeter, recordHeapReport } from "../../../../src/worker/isolation/memoryAttribution.ts";

const MB = 1024 * 1024;

describe("memory attribution", () => {
  test("a_reporting_thread_is_measured_by_its_own_heap", () => {
    const meter = newMeter(0);
    recordHeapReport(meter, 40 * MB, 1_000);
    chargeGrowth([meter], [10], 0, 0);
    chargeGrowth([meter], [5_000], 0, 500 * MB);
    expect(estimateThreadBytes(meter, 1_100, 300)).toBe(40 * MB);
  });

  test("growth_is_shared_by_page_faults_so_a_blocked_computing_loop_is_not_charged", () => {
    const allocating = newMeter(0);
    const computing = newMeter(0);
    chargeGrowth([allocating, computing], [100, 100], 50, 0); // baseline tick
    chargeGrowth([allocating, computing], [30_100, 100], 50, 120 * MB);
    chargeGrowth([allocating, computing], [60_100, 101], 50, 120 * MB);
    expect(estimateThreadBytes(allocating, 1_000, 300)).toBeGreaterThan(239 * MB);
    expect(estimateThreadBytes(computing, 1_000, 300)).toBeLessThan(0.01 * MB);
  });

  test("faults_of_the_rest_of_the_process_take_their_share", () => {
    const thread = newMeter(0);
    chargeGrowth([thread], [0], 0, 0);
    chargeGrowth([thread], [100], 300, 100 * MB);
    expect(estimateThreadBytes(thread, 1_000, 300)).toBe(25 * MB);
  });

  test("without_any_fault_counts_every_blocked_thread_is_charged_all_growth", () => {
    const a = newMeter(0);
    const b = newMeter(0);
    chargeGrowth([a, b], [undefined, undefined], 0, 64 * MB);
    expect([estimateThreadBytes(a, 1_000, 300), estimateThreadBytes(b, 1_000, 300)]).toEqual([64 * MB, 64 * MB]);
  });

  test("a_thread_seen_for_the_first_time_or_unread_is_not_charged_for_that_tick", () => {
    const old = newMeter(0);
    const fresh = newMeter(0);
    const unread = newMeter(0);
    chargeGrowth([old], [100], 0, 0);
    chargeGrowth([old, fresh, unread], [200, 5_000, undefined], 0, 10 * MB);
    expect([old, fresh, unread].map((m) => estimateThreadBytes(m, 1_000, 300))).toEqual([10 * MB, 0, 0]);
  });

  test("a_heap_report_clears_what_was_charged", () => {
    const meter = newMeter(0);
    chargeGrowth([meter], [undefined], 0, 64 * MB);
    expect(estimateThreadBytes(meter, 2_500, 300)).toBe(64 * MB);
    recordHeapReport(meter, 8 * MB, 2_000);
    expect(estimateThreadBytes(meter, 2_500, 300)).toBe(8 * MB);
  });
});
