/**
 * bun:test does not tell hooks whether a test failed, so tests that own a database
 * use `test` from `test/support/test.ts`, which records here when a test starts and
 * when it passes. A test that started and did not pass (threw, or timed out) counts
 * as failed, and its file keeps its database.
 */
let started = 0;
let passed = 0;

export const testOutcomes = {
  started(): void {
    started += 1;
  },
  passed(): void {
    passed += 1;
  },
  mark(): { started: number; passed: number } {
    return { started, passed };
  },
  allPassedSince(mark: { started: number; passed: number }): boolean {
    return started - mark.started === passed - mark.passed;
  },
};
