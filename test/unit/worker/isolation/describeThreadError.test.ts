import { describe, expect, test } from "bun:test";
import { describeThreadError } from "../../../../src/worker/isolation/handlerThreadPool.ts";
import { isThreadExitNotice } from "../../../../src/runtime/deno/threadExitNotice.ts";

describe("an error that escaped a handler thread", () => {
  test("keeps_the_message_of_bun_and_deno_error_events", () => {
    const bun = "1 | setTimeout(() => { throw new Error(\"late\") })\n    ^\nerror: late\n      at <anonymous> (/h/steps.ts:1:28)";
    expect(describeThreadError({ message: bun, error: undefined })).toBe("late");
    expect(describeThreadError({ message: "Uncaught Error: late", error: null })).toBe("late");
    expect(describeThreadError({ message: "Uncaught (in promise) TypeError: x is not a function", error: null })).toBe("x is not a function");
    expect(describeThreadError({ message: "", error: new Error("as an Error") })).toBe("as an Error");
    expect(describeThreadError({ message: "something odd\nmore", error: null })).toBe("something odd");
  });

  test("a_deno_thread_exit_notice_is_told_apart_from_the_handler_threads_own_messages", () => {
    expect(isThreadExitNotice({ taskerThreadExit: true, exitCode: 7 })).toBe(true);
    for (const other of [{ type: "heap", heapBytes: 1, tid: 2 }, { type: "result", runId: 1 }, null, "exit", { taskerThreadExit: "yes" }]) expect(isThreadExitNotice(other)).toBe(false);
  });
});
