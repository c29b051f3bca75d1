import { describe, expect, test } from "bun:test";
import { chargeGrowth, estimateThreadBytes, newMeter, recordHeapReport, type ProcessTick } from "../../../../src/worker/isolation/memoryAttribution.ts";

const MB = 1024 * 1024;
const PAGE = 4096;
const tick = (rssGrowth: number, faults: number | undefined): ProcessTick => ({ rssGrowth, faults, bytesPerFault: PAGE });

describe("memory attribution", () => {
  test("a_reporting_thread_is_measured_by_its_own_heap", () => {
    const meter = newMeter(0);
    recordHeapReport(meter, 40 * MB, 1_000);
    chargeGrowth([meter], [10], tick(0, 0));
    chargeGrowth([meter], [5_000], tick(500 * MB, 5_000));
    expect(estimateThreadBytes(meter, 1_100, 300)).toBe(40 * MB);
  });

  test("growth_is_shared_by_page_faults_so_a_blocked_computing_loop_is_not_charged", () => {
    const allocating = newMeter(0);
    const computing = newMeter(0);
    chargeGrowth([allocating, computing], [100, 100], tick(0, 50)); // baseline tick
    chargeGrowth([allocating, computing], [30_100, 100], tick(120 * MB, 30_050));
    chargeGrowth([allocating, computing], [60_100, 101], tick(120 * MB, 30_051));
    expect(estimateThreadBytes(allocating, 1_000, 300)).toBeGreaterThan(230 * MB);
    expect(estimateThreadBytes(computing, 1_000, 300)).toBeLessThan(0.01 * MB);
  });

  test("faults_of_the_rest_of_the_process_take_their_share", () => {
    const thread = newMeter(0);
    chargeGrowth([thread], [0], tick(0, 0));
    chargeGrowth([thread], [100_000], tick(100 * MB, 400_000));
    expect(estimateThreadBytes(thread, 1_000, 300)).toBe(25 * MB);
  });

  test("a_thread_is_never_charged_more_than_its_faults_can_have_mapped", () => {
    // One thread starts (a few thousand faults) while the garbage collector's helpers fault in a
    // hoarding thread's heap: the starting thread's share would be large, what it touched is not.
    const starting = newMeter(0);
    const hoarding = newMeter(0);
    chargeGrowth([starting, hoarding], [0, 0], tick(0, 0));
    for (let i = 1; i <= 10; i += 1) chargeGrowth([starting, hoarding], [i * 3_000, i * 3_000], tick(100 * MB, 12_000));
    expect(estimateThreadBytes(starting, 1_000, 300)).toBe(10 * 3_000 * PAGE);
    expect(estimateThreadBytes(hoarding, 1_000, 300)).toBeLessThan(128 * MB);
    // with huge pages on for every mapping, one fault may map 2 MiB
    const huge = newMeter(0);
    chargeGrowth([huge], [0], { rssGrowth: 0, faults: 0, bytesPerFault: 2 * MB });
    chargeGrowth([huge], [100], { rssGrowth: 200 * MB, faults: 100, bytesPerFault: 2 * MB });
    expect(estimateThreadBytes(huge, 1_000, 300)).toBe(200 * MB);
  });

  test("without_proc_every_blocked_thread_is_charged_all_growth", () => {
    const a = newMeter(0);
    const b = newMeter(0);
    chargeGrowth([a, b], [undefined, undefined], tick(64 * MB, undefined));
    expect([estimateThreadBytes(a, 1_000, 300), estimateThreadBytes(b, 1_000, 300)]).toEqual([64 * MB, 64 * MB]);
  });

  test("a_thread_seen_for_the_first_time_or_unread_is_not_charged_for_that_tick", () => {
    const old = newMeter(0);
    const fresh = newMeter(0);
    const unread = newMeter(0);
    chargeGrowth([old], [100], tick(0, 0));
    chargeGrowth([old, fresh, unread], [2_660, 5_000, undefined], tick(10 * MB, 2_560));
    expect([old, fresh, unread].map((m) => estimateThreadBytes(m, 1_000, 300))).toEqual([10 * MB, 0, 0]);
  });

  test("threads_that_have_not_said_their_id_are_not_charged_where_proc_is_read", () => {
    // Every thread just started: none has run a handler, the process grew for other reasons.
    const a = newMeter(0);
    const b = newMeter(0);
    chargeGrowth([a, b], [undefined, undefined], tick(64 * MB, 20_000));
    expect([estimateThreadBytes(a, 1_000, 300), estimateThreadBytes(b, 1_000, 300)]).toEqual([0, 0]);
  });

  test("a_heap_report_clears_what_was_charged", () => {
    const meter = newMeter(0);
    chargeGrowth([meter], [undefined], tick(64 * MB, undefined));
    expect(estimateThreadBytes(meter, 2_500, 300)).toBe(64 * MB);
    recordHeapReport(meter, 8 * MB, 2_000);
    expect(estimateThreadBytes(meter, 2_500, 300)).toBe(8 * MB);
  });
});
