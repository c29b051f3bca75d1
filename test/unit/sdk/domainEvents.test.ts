import { describe, expect, test } from "bun:test";
import { eventPatternMatches, onDomainEvent } from "../../../src/sdk/domainEvents.ts";

describe("domain event patterns", () => {
  test("star_is_one_part_and_double_star_any_number_of_parts", () => {
    const cases: Array<[string, string, boolean]> = [
      ["payment.processed", "payment.processed", true],
      ["payment.*", "payment.processed", true],
      ["payment.*", "payment.card.processed", false],
      ["payment.**", "payment.card.processed", true],
      ["payment.**", "payment", true],
      ["**", "x.y", true],
      ["*.failed", "payment.failed", true],
      ["*.failed", "payment.card.failed", false],
      ["a.**.z", "a.z", true],
      ["a.**.z", "a.b.c.z", true],
      ["a.**.z", "a.b.c.y", false],
      ["pay-ment.*", "pay-ment.x", true],
      ["pay*.done", "payment.done", true],
    ];
    expect(cases.map(([pattern, name]) => eventPatternMatches(pattern, name))).toEqual(cases.map(([, , want]) => want));
  });

  test("a_pattern_that_is_not_one_is_refused", () => {
    expect(() => onDomainEvent("payment processed", () => {})).toThrow("is not an event pattern");
  });
});
