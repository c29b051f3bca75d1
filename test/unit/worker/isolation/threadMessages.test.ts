import { describe, expect, test } from "bun:test";
import { fromWire, toWire, type FromThread } from "../../../../src/worker/isolation/threadMessages.ts";

describe("thread message wire", () => {
  test("run_and_result_travel_as_json_text_and_come_back_equal", () => {
    const result: FromThread = { type: "result", runId: 7, invocation: { ok: true, value: { n: 1, list: [1, "a", null] } }, heapBytes: 1024 };
    const wire = toWire(result);
    expect(typeof wire).toBe("string");
    expect(fromWire<FromThread>(wire)).toEqual(result);
  });

  test("logs_and_span_changes_stay_objects_so_values_json_cannot_hold_survive", () => {
    const log: FromThread = { type: "log", runId: 1, level: "info", message: "m", fields: { big: 10n, when: new Date(0) } };
    const wire = toWire(log);
    expect(wire).toBe(log);
    expect(fromWire<FromThread>(structuredClone(wire))).toEqual(log);
  });
});
