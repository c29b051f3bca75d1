import { describe, expect, test } from "bun:test";
import { silentLogger } from "../../../src/telemetry/logger.ts";
import type { StepHandler } from "../../../src/sdk/stepContext.ts";
import { createInlineRunner } from "../../../src/worker/handlerRunner.ts";
import { executeStep } from "../../../src/worker/stepExecutor.ts";
import { claimedStep } from "../../support/claimedStep.ts";

const claimed = claimedStep();

const run = (handler: StepHandler, maxResultBytes?: number) =>
  executeStep({
    claimed,
    handler: { callable: "unit_step", fn: handler, modulePath: "(inline)", exportName: "default" },
    runner: createInlineRunner(),
    timeoutMs: 1_000,
    ...(maxResultBytes === undefined ? {} : { maxResultBytes }),
    shutdownSignal: new AbortController().signal,
    workerId: "01a20000-0000-7000-8000-000000000004",
    hostname: "unit",
    logger: silentLogger,
  });

describe("executeStep result checks", () => {
  test("a_result_over_max_result_bytes_is_a_permanent_result_too_large_failure", async () => {
    const { result, outcome } = await run(() => ({ blob: "x".repeat(2_000) }), 1_024);
    expect(outcome).toBe("failure");
    expect(result.result).toBeNull();
    expect(result.error).toMatchObject({ error_type: "result_too_large", retryable: false });
    expect(result.error?.message).toContain("2011 bytes of JSON, over the limit of 1024 (worker.max_result_bytes)");
  });

  test("a_result_at_the_limit_counts_utf8_bytes_and_succeeds", async () => {
    const value = { s: "é".repeat(100) }; // 200 bytes of UTF-8 in the string, 208 in all
    expect((await run(() => value, 208)).result.success).toBe(true);
    expect((await run(() => value, 207)).result.error?.error_type).toBe("result_too_large");
  });

  test("undefined_members_are_what_json_makes_of_them_and_a_date_is_still_refused", async () => {
    const { result } = await run(() => ({ name: "x", phone: undefined, tags: [1, undefined], nested: { gone: undefined } }));
    expect(result.success).toBe(true);
    expect(result.result).toEqual({ name: "x", tags: [1, null], nested: {} });
    expect(Object.keys(result.result as object)).toEqual(["name", "tags", "nested"]);
    const dated = await run(() => ({ when: new Date(0) }));
    expect(dated.result.error?.message).toContain("result.when is a Date, not a plain object");
  });

  test("a_cyclic_result_is_an_invalid_result_naming_the_path", async () => {
    const node: Record<string, unknown> = { list: [] };
    (node["list"] as unknown[]).push({ back: node });
    const { result } = await run(() => node);
    expect(result.error).toMatchObject({ error_type: "invalid_result", retryable: false });
    expect(result.error?.message).toContain("result.list[0].back is a circular reference");
  });

  test("a_shared_but_acyclic_object_is_valid_json", async () => {
    const shared = { v: 1 };
    expect((await run(() => ({ a: shared, b: [shared, shared] }))).result.success).toBe(true);
  });

  test("thrown_non_errors_are_handler_errors_with_their_json_text", async () => {
    const thrown: unknown[] = ["text", { code: 1 }, null, 7];
    const messages = await Promise.all(
      thrown.map(async (value) => {
        const { result } = await run(() => {
          throw value;
        });
        return [result.error?.error_type, result.error?.message];
      }),
    );
    expect(messages).toEqual([
      ["handler_error", 'handler threw a non-Error value: "text"'],
      ["handler_error", 'handler threw a non-Error value: {"code":1}'],
      ["handler_error", "handler threw a non-Error value: null"],
      ["handler_error", "handler threw a non-Error value: 7"],
    ]);
  });
});
