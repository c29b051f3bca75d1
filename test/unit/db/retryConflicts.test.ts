import { retryConflicts } from "../../../src/db/retryConflicts.ts";
import { describe, expect, test } from "../../support/test.ts";

const failing = (code: string) => Object.assign(new Error(`sqlstate ${code}`), { code });

describe("retryConflicts", () => {
  test("runs_a_transaction_again_after_a_deadlock_or_serialization_failure", async () => {
    const thrown = [failing("40P01"), failing("40001")];
    let runs = 0;
    const result = await retryConflicts(() => {
      runs += 1;
      const next = thrown.shift();
      return next ? Promise.reject(next) : Promise.resolve("done");
    });
    expect([result, runs]).toEqual(["done", 3]);
  });

  test("throws_the_last_conflict_after_its_attempts_and_any_other_error_at_once", async () => {
    let runs = 0;
    const conflict = await retryConflicts(() => {
      runs += 1;
      return Promise.reject(failing("40P01"));
    }, 3).catch((e: unknown) => e);
    expect([(conflict as { code?: string }).code, runs]).toEqual(["40P01", 3]);

    runs = 0;
    const other = await retryConflicts(() => {
      runs += 1;
      return Promise.reject(failing("23505"));
    }).catch((e: unknown) => e);
    expect([(other as { code?: string }).code, runs]).toEqual(["23505", 1]);
  });
});
