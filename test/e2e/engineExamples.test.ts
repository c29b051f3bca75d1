/**
 * The compiled binary in combined mode, driven over HTTP: the shipped examples
 * (values, retries, a permanent failure, a timeout), the refusals of POST /v1/tasks,
 * and parallel branches of a fixture diamond running at the same time.
 */
import { useTestDatabase } from "../support/database.ts";
import { afterAll, beforeAll, describe, expect, test } from "../support/test.ts";
import {
  auditRows,
  createTask,
  FIXTURE_HANDLERS,
  getTask,
  killAll,
  postTask,
  resultValue,
  startRole,
  stepNamed,
  waitForTasks,
  type RoleProcess,
  type TaskRequest,
  type TaskResponse,
} from "./engineHarness.ts";

const db = useTestDatabase(import.meta.file);

describe("shipped examples in combined mode", () => {
  let tasker: RoleProcess | undefined;
  beforeAll(async () => {
    tasker = await startRole("combined", { databaseUrl: db.url });
  });
  afterAll(async () => {
    await killAll([tasker]);
  });
  const api = (): RoleProcess => {
    if (!tasker) throw new Error("the combined process did not start");
    return tasker;
  };

  /** Creates a task, waits until it is in one of `states`, and returns it as GET /v1/tasks/:uuid shows it. */
  const run = async (request: TaskRequest, states = ["complete"]): Promise<TaskResponse> => {
    const created = await createTask(api().baseUrl, request);
    await waitForTasks(db.sql, [created.task_uuid], states);
    return getTask(api().baseUrl, created.task_uuid);
  };

  test("linear_diamond_tree_and_mixed_dag_examples_complete_with_the_documented_values", async () => {
    const context = { even_number: 6 };
    const [linear, diamond, tree, dag] = await Promise.all([
      run({ namespace: "linear_workflow", name: "mathematical_sequence", version: "1.0.0", context }),
      run({ namespace: "diamond_workflow", name: "parallel_computation", version: "1.0.0", context }),
      run({ namespace: "tree_workflow", name: "hierarchical_tree", version: "1.0.0", context }),
      run({ namespace: "mixed_dag_workflow", name: "complex_dag", version: "1.0.0", context }),
    ]);
    expect(["linear_step_1", "linear_step_2", "linear_step_3", "linear_step_4"].map((n) => resultValue(stepNamed(linear, n)))).toEqual([
      36, 46, 138, 69,
    ]);
    expect(resultValue(stepNamed(diamond, "diamond_end"))).toBe(66.5);
    expect(resultValue(stepNamed(tree, "final_convergence"))).toBe(329);
    expect(resultValue(stepNamed(dag, "finalize"))).toBe(292);
    for (const task of [linear, diamond, tree, dag]) {
      expect(task.status).toBe("complete");
      expect(task.steps.map((s) => [s.name, s.current_state, s.attempts])).toEqual(
        task.steps.map((s) => [s.name, "complete", 1]),
      );
    }
  });

  describe("retry examples", () => {
    // Created together by the first test that needs them, so their retry waits overlap.
    let runs: Record<string, Promise<TaskResponse>> | undefined;
    const retryRun = (name: string): Promise<TaskResponse> => {
      if (!runs) {
        const states = { always_fail: ["blocked_by_failures"], permanent_failure: ["blocked_by_failures"] } as Record<string, string[]>;
        const names = ["fail_twice_then_succeed", "always_fail", "permanent_failure", "slow_step"];
        runs = Object.fromEntries(
          names.map((n) => [n, run({ namespace: "retry_examples", name: n, version: "1.0.0" }, states[n] ?? ["complete"])]),
        );
        // Each test reports its own task's failure; this only keeps the others from being unhandled meanwhile.
        for (const p of Object.values(runs)) p.catch(() => {});
      }
      const task = runs[name];
      if (!task) throw new Error(`no retry example ${name}`);
      return task;
    };
    const audit = async (task: TaskResponse, stepName: string) =>
      (await auditRows(db.sql, [task.task_uuid]))
        .filter((r) => r.workflow_step_uuid === stepNamed(task, stepName).workflow_step_uuid)
        .map((r) => [r.attempt, r.success]);

    test("fail_twice_then_succeed_completes_on_attempt_3", async () => {
      const task = await retryRun("fail_twice_then_succeed");
      const step = stepNamed(task, "fail_twice_then_succeed");
      expect([task.status, step.current_state, step.attempts, step.results?.result]).toEqual(["complete", "complete", 3, { attempts: 3 }]);
      expect(await audit(task, "fail_twice_then_succeed")).toEqual([
        [1, false],
        [2, false],
        [3, true],
      ]);
    });

    test("always_failing_step_ends_in_error_after_3_attempts_and_blocks_the_task", async () => {
      const task = await retryRun("always_fail");
      const step = stepNamed(task, "always_fail");
      expect([task.status, step.current_state, step.attempts]).toEqual(["blocked_by_failures", "error", 3]);
      expect(step.results?.error?.error_type).toBe("service_unavailable");
      expect(await audit(task, "always_fail")).toEqual([
        [1, false],
        [2, false],
        [3, false],
      ]);
    });

    test("permanent_failure_runs_once_and_leaves_its_dependent_pending", async () => {
      const task = await retryRun("permanent_failure");
      const reject = stepNamed(task, "reject_order");
      const ship = stepNamed(task, "ship_order");
      expect(task.status).toBe("blocked_by_failures");
      expect([reject.current_state, reject.attempts, reject.results?.error?.error_type, reject.results?.error?.retryable]).toEqual([
        "error",
        1,
        "order_rejected",
        false,
      ]);
      expect(await audit(task, "reject_order")).toEqual([[1, false]]);
      expect([ship.current_state, ship.attempts, ship.results]).toEqual(["pending", 0, null]);
    });

    test("hanging_handler_is_timed_out_then_retried_and_completes", async () => {
      const task = await retryRun("slow_step");
      const step = stepNamed(task, "slow_step");
      expect([task.status, step.current_state, step.attempts, step.results?.result]).toEqual(["complete", "complete", 2, { attempts: 2 }]);
      expect(await audit(task, "slow_step")).toEqual([
        [1, false],
        [2, true],
      ]);
      const failures = api()
        .logs()
        .filter((l) => l["msg"] === "step failed" && l["step_uuid"] === step.workflow_step_uuid)
        .map((l) => [l["attempt"], l["error_type"]]);
      expect(failures).toEqual([[1, "timeout"]]);
    });
  });

  describe("POST /v1/tasks refusals", () => {
    const linear = { namespace: "linear_workflow", name: "mathematical_sequence", version: "1.0.0" };

    test("a_context_that_violates_the_input_schema_is_a_400_naming_the_field", async () => {
      const bad = await postTask(api().baseUrl, { ...linear, context: { even_number: "six" } });
      expect(bad.status).toBe(400);
      const { error } = bad.body as { error: { code: string; message: string } };
      expect(error.code).toBe("VALIDATION_FAILED");
      expect(error.message).toStartWith("context.even_number");

      const shapeless = await postTask(api().baseUrl, { namespace: "linear_workflow", version: "1.0.0" });
      expect(shapeless.status).toBe(400);
      expect((shapeless.body as { error: { message: string } }).error.message).toStartWith("name");
    });

    test("an_unknown_template_is_a_404", async () => {
      const missing = await postTask(api().baseUrl, { ...linear, name: "no_such_template", context: { even_number: 6 } });
      expect(missing.status).toBe(404);
      expect((missing.body as { error: { code: string } }).error.code).toBe("NOT_FOUND");
    });

    test("the_same_task_twice_is_a_409_whatever_the_key_order", async () => {
      const first = await postTask(api().baseUrl, { ...linear, context: { even_number: 8, note: "dup" } });
      expect(first.status).toBe(201);
      const again = await postTask(api().baseUrl, { ...linear, context: { note: "dup", even_number: 8 } });
      expect(again.status).toBe(409);
      expect((again.body as { error: { code: string } }).error.code).toBe("CONFLICT");
      const [row] = await db.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM tasker.tasks WHERE context = ${db.sql.json({ even_number: 8, note: "dup" })}::jsonb`;
      expect(row?.n).toBe(1);
    });
  });
});

describe("fixture diamond in combined mode", () => {
  let tasker: RoleProcess | undefined;
  beforeAll(async () => {
    tasker = await startRole("combined", { databaseUrl: db.url, handlersDir: FIXTURE_HANDLERS, namespaces: ["e2e_diamond"] });
  });
  afterAll(async () => {
    await killAll([tasker]);
  });

  test("parallel_branches_are_both_in_flight_before_the_join", async () => {
    const baseUrl = tasker!.baseUrl;
    const created = await createTask(baseUrl, {
      namespace: "e2e_diamond",
      name: "concurrent_diamond",
      version: "1.0.0",
      context: { branch_ms: 300 },
    });
    await waitForTasks(db.sql, [created.task_uuid], ["complete"]);
    const task = await getTask(baseUrl, created.task_uuid);
    const span = (name: string) => {
      const meta = stepNamed(task, name).results!.metadata;
      return { start: Date.parse(meta.started_at), end: Date.parse(meta.completed_at) };
    };
    const left = span("branch_left");
    const right = span("branch_right");
    const join = span("join");
    // Each branch waits 300 ms: run one after the other, one would start only when the other ended.
    expect(left.start).toBeLessThan(right.end);
    expect(right.start).toBeLessThan(left.end);
    expect(join.start).toBeGreaterThanOrEqual(Math.max(left.end, right.end));
    expect(resultValue(stepNamed(task, "join"))).toBe(23);
  });
});
