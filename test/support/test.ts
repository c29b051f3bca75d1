/**
 * bun:test with outcome tracking (see testOutcomes.ts). Import `test`/`it` from here
 * in files that use `useTestDatabase()`; everything else is bun:test's own.
 */
import { test as bunTest } from "bun:test";
import { testOutcomes } from "./testOutcomes.ts";

export { afterAll, afterEach, beforeAll, beforeEach, describe, expect, mock, spyOn } from "bun:test";

type Body = () => unknown;

/** Tests here start real processes and databases; bun's default 5 s is too tight on 2 cores. */
const DEFAULT_TIMEOUT_MS = 60_000;

function tracked(body: Body): () => Promise<void> {
  return async () => {
    testOutcomes.started();
    await body();
    testOutcomes.passed();
  };
}

interface TrackedTest {
  (name: string, body: Body, timeoutMs?: number): void;
  skip: (name: string, body: Body, timeoutMs?: number) => void;
  skipIf: (condition: boolean) => (name: string, body: Body, timeoutMs?: number) => void;
  only: (name: string, body: Body, timeoutMs?: number) => void;
}

export const test: TrackedTest = Object.assign(
  (name: string, body: Body, timeoutMs = DEFAULT_TIMEOUT_MS) => bunTest(name, tracked(body), timeoutMs),
  {
    skip: (name: string, body: Body, timeoutMs = DEFAULT_TIMEOUT_MS) => bunTest.skip(name, tracked(body), timeoutMs),
    skipIf: (condition: boolean) => (name: string, body: Body, timeoutMs = DEFAULT_TIMEOUT_MS) =>
      bunTest.skipIf(condition)(name, tracked(body), timeoutMs),
    only: (name: string, body: Body, timeoutMs = DEFAULT_TIMEOUT_MS) => bunTest.only(name, tracked(body), timeoutMs),
  },
);
export const it = test;
