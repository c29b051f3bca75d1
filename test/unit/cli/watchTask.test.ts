import { describe, expect, test } from "bun:test";
import type { TaskResponse } from "../../../src/client/apiTypes.ts";
import { TaskerApiError } from "../../../src/client/taskerApiError.ts";
import type { TaskerClient } from "../../../src/client/taskerClient.ts";
import type { ClientRunContext } from "../../../src/cli/client/clientRunContext.ts";
import { taskStateChanges } from "../../../src/cli/client/taskStateChanges.ts";
import { TASK_FAILED_EXIT_CODE, watchTask } from "../../../src/cli/client/watchTask.ts";

const UUID = "01a20866-ffe5-722f-b997-13182a372b09";

function task(status: string, ...steps: Array<[string, string, number?]>): TaskResponse {
  return {
    task_uuid: UUID, name: "t", namespace: "ns", version: "1.0.0", status, correlation_id: "c", created_at: "2026-01-01T00:00:00Z",
    steps: steps.map(([name, state, attempts = 0]) => ({
      workflow_step_uuid: `uuid-${name}`, name, current_state: state, attempts, max_attempts: 3,
      results: state === "error" ? { error: { error_type: "TypeError", message: "boom" } } : null,
    })),
  };
}

/** A context whose getTask answers from `answers` in turn (an Error is thrown); time advances 1 s per sleep. */
function harness(answers: Array<TaskResponse | Error>, json = false) {
  let clock = Date.parse("2026-01-01T00:00:00Z");
  let out = "";
  let err = "";
  let calls = 0;
  const ctx: ClientRunContext = {
    client: {
      getTask: () => {
        const next = answers[Math.min(calls++, answers.length - 1)]!;
        return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
      },
    } as unknown as TaskerClient,
    json,
    stdout: (text) => (out += text),
    stderr: (text) => (err += text),
    cwd: "/",
    env: {},
    sleep: (ms) => {
      clock += ms;
      return Promise.resolve();
    },
    now: () => new Date(clock),
  };
  return { ctx, out: () => out, err: () => err, calls: () => calls };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("watchTask", () => {
  test("prints_the_first_observation_then_each_task_and_step_state_change_and_exits_0_on_complete", async () => {
    const h = harness([
      task("steps_in_process", ["a", "enqueued"], ["b", "pending"]),
      task("steps_in_process", ["a", "enqueued"], ["b", "pending"]),
      task("steps_in_process", ["a", "in_progress", 1], ["b", "pending"]),
      task("complete", ["a", "complete", 1], ["b", "complete", 1]),
    ]);
    const code = await watchTask(h.ctx, { taskUuid: UUID, intervalMs: 1000, timeoutMs: undefined });
    expect(code).toBe(0);
    expect(h.out()).toBe(
      [
        "2026-01-01T00:00:00.000Z  task steps_in_process",
        "2026-01-01T00:00:00.000Z    step a enqueued",
        "2026-01-01T00:00:00.000Z    step b pending",
        "2026-01-01T00:00:02.000Z    step a enqueued -> in_progress (attempt 1)",
        "2026-01-01T00:00:03.000Z  task steps_in_process -> complete",
        "2026-01-01T00:00:03.000Z    step a in_progress -> complete",
        "2026-01-01T00:00:03.000Z    step b pending -> complete",
        `task ${UUID} is complete: 2/2 steps complete`,
        "",
      ].join("\n"),
    );
  });

  test("a_task_that_ends_blocked_by_failures_says_so_names_the_failed_step_and_exits_3", async () => {
    const h = harness([task("steps_in_process", ["a", "in_progress", 3]), task("blocked_by_failures", ["a", "error", 3])]);
    const code = await watchTask(h.ctx, { taskUuid: UUID, intervalMs: 100, timeoutMs: undefined });
    expect(code).toBe(TASK_FAILED_EXIT_CODE);
    expect(h.out()).toContain(`task ${UUID} ended blocked_by_failures, not complete (0/1 steps complete)`);
    expect(h.out()).toContain("step a is in error: TypeError: boom");
  });

  test("error_and_cancelled_end_the_watch_with_exit_3", async () => {
    for (const status of ["error", "cancelled"]) {
      const h = harness([task(status, ["a", "cancelled"])]);
      expect(await watchTask(h.ctx, { taskUuid: UUID, intervalMs: 100, timeoutMs: undefined })).toBe(TASK_FAILED_EXIT_CODE);
      expect(h.out()).toContain(`ended ${status}`);
    }
  });

  test("json_mode_prints_one_json_event_per_line_ending_with_the_task", async () => {
    const h = harness([task("steps_in_process", ["a", "enqueued"]), task("complete", ["a", "complete", 1])], true);
    expect(await watchTask(h.ctx, { taskUuid: UUID, intervalMs: 100, timeoutMs: undefined })).toBe(0);
    const events = h.out().trimEnd().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.map((e) => [e["event"], e["to"]])).toEqual([
      ["task_state", "steps_in_process"], ["step_state", "enqueued"], ["task_state", "complete"], ["step_state", "complete"],
      ["finished", undefined],
    ]);
    expect(events.at(-1)).toMatchObject({ status: "complete", exit_code: 0, task: { task_uuid: UUID } });
  });

  test("rides_out_a_few_network_errors_but_not_a_client_error", async () => {
    const down = new TaskerApiError("NETWORK_ERROR", "cannot reach http://x");
    const h = harness([down, down, task("complete", ["a", "complete", 1])]);
    expect(await watchTask(h.ctx, { taskUuid: UUID, intervalMs: 100, timeoutMs: undefined })).toBe(0);
    expect(h.err()).toContain("cannot reach http://x; retrying (2/4)");

    const missing = new TaskerApiError("NOT_FOUND", "no task", { status: 404 });
    const h2 = harness([missing]);
    expect(await rejectionOf(watchTask(h2.ctx, { taskUuid: UUID, intervalMs: 100, timeoutMs: undefined }))).toBe(missing);
  });

  test("gives_up_with_watch_timeout_after_the_timeout", async () => {
    const h = harness([task("steps_in_process", ["a", "in_progress", 1])]);
    expect(await rejectionOf(watchTask(h.ctx, { taskUuid: UUID, intervalMs: 1000, timeoutMs: 5000 }))).toMatchObject({ code: "WATCH_TIMEOUT" });
    expect(h.calls()).toBe(6);
  });
});

describe("taskStateChanges", () => {
  test("reports_new_steps_and_changed_states_only", () => {
    const before = task("steps_in_process", ["a", "complete", 1], ["b", "in_progress", 1]);
    const after = task("steps_in_process", ["a", "complete", 1], ["b", "in_progress", 2], ["c", "pending"]);
    expect(taskStateChanges(before, after)).toEqual([
      { kind: "step", name: "c", step_uuid: "uuid-c", from: undefined, to: "pending", attempts: 0 },
    ]);
  });
});
