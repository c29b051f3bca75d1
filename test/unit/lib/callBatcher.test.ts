import { describe, expect, test } from "bun:test";
import { createCallBatcher } from "../../../src/lib/callBatcher.ts";

/** A call that resolves when the test says so, recording what was sent. */
function gatedCalls() {
  const sent: Array<{ kind: "single" | "many"; items: number[] }> = [];
  const gates: Array<() => void> = [];
  const wait = () => new Promise<void>((resolve) => gates.push(resolve));
  return {
    sent,
    release: () => gates.shift()?.(),
    single: async (item: number) => {
      sent.push({ kind: "single", items: [item] });
      await wait();
      return item * 10;
    },
    many: async (items: number[]) => {
      sent.push({ kind: "many", items });
      await wait();
      return items.map((i) => i * 10);
    },
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("createCallBatcher", () => {
  test("a call made while nothing is in flight is sent at once, alone", async () => {
    const calls = gatedCalls();
    const batcher = createCallBatcher({ maxBatch: 8, single: calls.single, many: calls.many });
    const answer = batcher.call(1);
    expect(calls.sent).toEqual([{ kind: "single", items: [1] }]);
    calls.release();
    expect(await answer).toBe(10);
  });

  test("calls made while a batch is in flight go together when it returns, answers in order", async () => {
    const calls = gatedCalls();
    const sizes: number[] = [];
    const batcher = createCallBatcher({ maxBatch: 3, single: calls.single, many: calls.many, onBatch: (n) => sizes.push(n) });
    const first = batcher.call(1);
    const rest = [2, 3, 4, 5].map((i) => batcher.call(i));
    expect(batcher.pending()).toBe(4);
    calls.release();
    await first;
    await tick();
    expect(calls.sent[1]).toEqual({ kind: "many", items: [2, 3, 4] });
    calls.release();
    await tick();
    expect(calls.sent[2]).toEqual({ kind: "single", items: [5] });
    calls.release();
    expect(await Promise.all(rest)).toEqual([20, 30, 40, 50]);
    expect(sizes).toEqual([1, 3, 1]);
    expect(batcher.pending()).toBe(0);
  });

  test("a failed batch rejects each of its calls and the next batch still goes", async () => {
    let fail = true;
    const batcher = createCallBatcher<number, number>({
      maxBatch: 4,
      single: async (i) => {
        await tick();
        return i;
      },
      many: async (items) => {
        await tick();
        if (fail) throw new Error("deadlock detected");
        return items;
      },
    });
    const first = batcher.call(0);
    const failing = [1, 2].map((i) => batcher.call(i).then(() => "ok", (e: Error) => e.message));
    await first;
    expect(await Promise.all(failing)).toEqual(["deadlock detected", "deadlock detected"]);
    fail = false;
    const again = [batcher.call(3), batcher.call(4), batcher.call(5)];
    expect(await Promise.all(again)).toEqual([3, 4, 5]);
  });

  test("a batch answered with the wrong number of results rejects its calls", async () => {
    const batcher = createCallBatcher<number, number>({ maxBatch: 4, single: async (i) => { await tick(); return i; }, many: () => Promise.resolve([1]) });
    const first = batcher.call(0);
    const two = [batcher.call(1), batcher.call(2)].map((p) => p.catch((e: Error) => e.message));
    await first;
    expect(await Promise.all(two)).toEqual(["batch of 2 answered 1 results", "batch of 2 answered 1 results"]);
  });

  test("maxBatch 1 sends every call alone and at once, without waiting for the others", async () => {
    const calls = gatedCalls();
    const batcher = createCallBatcher({ maxBatch: 1, single: calls.single, many: calls.many });
    const answers = [1, 2, 3].map((i) => batcher.call(i));
    expect(calls.sent.map((s) => s.kind)).toEqual(["single", "single", "single"]);
    calls.release();
    calls.release();
    calls.release();
    expect(await Promise.all(answers)).toEqual([10, 20, 30]);
  });

  test("maxBatch must be a positive integer", () => {
    expect(() => createCallBatcher({ maxBatch: 0, single: () => Promise.resolve(1), many: () => Promise.resolve([]) })).toThrow("maxBatch");
  });
});

describe("createCallBatcher with maxInFlight", () => {
  test("sends calls alone until maxInFlight batches are in flight, then batches the rest", async () => {
    const calls = gatedCalls();
    const batcher = createCallBatcher({ maxBatch: 4, maxInFlight: 2, single: calls.single, many: calls.many });
    const answers = [1, 2, 3, 4, 5].map((i) => batcher.call(i));
    expect(calls.sent).toEqual([{ kind: "single", items: [1] }, { kind: "single", items: [2] }]);
    expect(batcher.pending()).toBe(3);
    calls.release();
    await tick();
    expect(calls.sent[2]).toEqual({ kind: "many", items: [3, 4, 5] });
    calls.release();
    calls.release();
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40, 50]);
  });

  test("maxInFlight must be a positive integer", () => {
    expect(() => createCallBatcher({ maxBatch: 2, maxInFlight: 0, single: () => Promise.resolve(1), many: () => Promise.resolve([]) })).toThrow("maxInFlight");
  });
});
