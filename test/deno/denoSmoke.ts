/**
 * `npm run test:deno`: tasker on Deno, end to end, against a database of its own (created on
 * the server of DATABASE_URL, else 127.0.0.1:5432, else a throwaway cluster; dropped at the
 * end). Bun drives; the engine runs on Deno: `migrate`, a combined role with the shipped
 * examples and a worker role with the hostile fixture handlers, over HTTP. It checks what the
 * Bun e2e tests check (engineExamples, faults/hostileHandlers) and prints `N passed, N failed`.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { findPostgres } from "../support/postgres.ts";
import { createTask, FIXTURE_HANDLERS, getTask, killAll, resultValue, startRole, stepNamed, waitForTasks, type RoleProcess, type TaskResponse } from "../e2e/engineHarness.ts";
import { spawnDenoTasker } from "./denoTasker.ts";
import { HOSTILE_FAILURES, HOSTILE_MEMORY_LIMIT_MB, HOSTILE_RESULT_LIMIT } from "../faults/hostileExpectations.ts";


const results: Array<{ name: string; error?: unknown }> = [];
async function check(name: string, body: () => Promise<void> | void): Promise<void> {
  try {
    await body();
    results.push({ name });
    console.log(`(pass) ${name}`);
  } catch (error) {
    results.push({ name, error });
    console.log(`(fail) ${name}\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}

const started = performance.now();
const server = await findPostgres();
const database = `tasker_deno_smoke_${process.pid}`;
const admin = postgres(server.adminUrl, { max: 1, onnotice: () => {} });
await admin.unsafe(`DROP DATABASE IF EXISTS ${database}`);
await admin.unsafe(`CREATE DATABASE ${database}`);
const databaseUrl = server.urlFor(database);
const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
const procs: RoleProcess[] = [];

try {
  await check("migrate_on_deno_applies_every_migration", async () => {
    const migrate = spawnDenoTasker(["migrate"], { env: { DATABASE_URL: databaseUrl } });
    const code = await migrate.exited;
    assert.equal(code, 0, migrate.stderr());
    assert.match(migrate.stdout() + migrate.stderr(), /database is at schema version \d+/);
  });

  const combined = await startRole("combined", {
    databaseUrl,
    namespaces: ["linear_workflow", "diamond_workflow", "retry_examples"],
    spawn: spawnDenoTasker,
  });
  procs.push(combined);
  const env = { TASKER_WORKER__MAX_RESULT_BYTES: String(HOSTILE_RESULT_LIMIT), TASKER_WORKER__HANDLER_MAX_MEMORY_MB: String(HOSTILE_MEMORY_LIMIT_MB) };
  const worker = await startRole("worker", { databaseUrl, handlersDir: FIXTURE_HANDLERS, namespaces: ["fault_hostile"], env, spawn: spawnDenoTasker });
  procs.push(worker);
  const api = combined.baseUrl;

  /** Creates a task, waits until it is in one of `states`, and returns it as GET /v1/tasks/:uuid shows it. */
  const run = async (namespace: string, name: string, states: string[], context: Record<string, unknown> = {}): Promise<TaskResponse> => {
    const created = await createTask(api, { namespace, name, version: "1.0.0", context });
    await waitForTasks(sql, [created.task_uuid], states, 30_000);
    return getTask(api, created.task_uuid);
  };
  const [linear, diamond, permanent, slow, hostile] = await Promise.all([
    run("linear_workflow", "mathematical_sequence", ["complete"], { even_number: 6 }),
    run("diamond_workflow", "parallel_computation", ["complete"], { even_number: 6 }),
    run("retry_examples", "permanent_failure", ["blocked_by_failures"]),
    run("retry_examples", "slow_step", ["complete"]),
    run("fault_hostile", "hostile", ["blocked_by_failures", "error"], { huge_bytes: 2 * HOSTILE_RESULT_LIMIT, large_bytes: HOSTILE_RESULT_LIMIT - 1024 }),
  ]);

  await check("linear_workflow_gives_36_46_138_69", () => {
    assert.deepEqual(["linear_step_1", "linear_step_2", "linear_step_3", "linear_step_4"].map((n) => resultValue(stepNamed(linear, n))), [36, 46, 138, 69]);
    assert.deepEqual(linear.steps.map((s) => [s.name, s.current_state, s.attempts]), linear.steps.map((s) => [s.name, "complete", 1]));
  });

  await check("diamond_workflow_ends_with_66_5", () => {
    assert.equal(diamond.status, "complete");
    assert.equal(resultValue(stepNamed(diamond, "diamond_end")), 66.5);
    assert.deepEqual(diamond.steps.map((s) => [s.name, s.current_state, s.attempts]), diamond.steps.map((s) => [s.name, "complete", 1]));
  });

  await check("a_permanent_error_from_the_tasker_module_runs_once_and_leaves_its_dependent_pending", () => {
    const reject = stepNamed(permanent, "reject_order");
    const ship = stepNamed(permanent, "ship_order");
    assert.deepEqual([reject.current_state, reject.attempts, reject.results?.error?.error_type, reject.results?.error?.retryable], ["error", 1, "order_rejected", false]);
    assert.deepEqual([ship.current_state, ship.attempts, ship.results], ["pending", 0, null]);
  });

  await check("a_hanging_handler_is_timed_out_then_retried_and_completes", () => {
    const step = stepNamed(slow, "slow_step");
    assert.deepEqual([slow.status, step.current_state, step.attempts, step.results?.result], ["complete", "complete", 2, { attempts: 2 }]);
    const failures = combined.logs().filter((l) => l["msg"] === "step failed" && l["step_uuid"] === step.workflow_step_uuid).map((l) => [l["attempt"], l["error_type"]]);
    assert.deepEqual(failures, [[1, "timeout"]]);
  });

  await check("hostile_handlers_each_fail_their_own_step_in_a_deno_handler_thread", async () => {
    // The task is blocked by its first failure; the steps that hang end about 1 s later.
    await waitForTasks(sql, [hostile.task_uuid], ["blocked_by_failures", "error"]);
    let task = hostile;
    for (const deadline = Date.now() + 15_000; task.steps.some((s) => !["complete", "error"].includes(s.current_state)) && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      task = await getTask(api, hostile.task_uuid);
    }
    // A step stopped for memory it did not hold shows the watchdog's figures.
    const memoryStops = () => JSON.stringify(worker.logs().filter((l) => l["msg"] === "a handler exceeded the memory limit; its thread is stopped"));
    for (const [name, [errorType, fragment]] of Object.entries(HOSTILE_FAILURES)) {
      const step = stepNamed(task, name);
      assert.deepEqual(
        { name, state: step.current_state, attempts: step.attempts, error_type: step.results?.error?.error_type },
        { name, state: "error", attempts: 1, error_type: errorType },
        `${name}: ${JSON.stringify(step.results?.error)}; memory stops: ${memoryStops()}`,
      );
      assert.ok(step.results?.error?.message.includes(fragment), `${name}: "${step.results?.error?.message}" does not contain "${fragment}"`);
    }
    for (const name of ["healthy", "return_large"]) {
      const step = stepNamed(task, name);
      assert.deepEqual([name, step.current_state], [name, "complete"], `${name}: ${JSON.stringify(step.results?.error)}; memory stops: ${memoryStops()}`);
    }
  });

  await check("the_runaway_loop_is_stopped_by_terminating_its_thread_and_the_worker_lives_on", async () => {
    // A loop that never yields cannot see its abort: only terminating its thread stops it.
    await worker.waitForLog((l) => l["msg"] === "a handler did not return after its abort; its thread is stopped" && l["step_name"] === "spin_forever", 10_000);
    const exited = await worker.waitForLog((l) => l["msg"] === "a handler ended its thread; the thread is replaced", 1_000);
    assert.deepEqual([exited["step_name"], exited["exit_code"]], ["exit_process", 7]);
    assert.equal((await fetch(`${worker.baseUrl}/health/ready`)).status, 200);
    assert.deepEqual(worker.logs().filter((l) => l["level"] === "fatal"), []);
  });

  await check("sigterm_drains_and_stops_both_roles", async () => {
    for (const proc of procs) proc.kill("SIGTERM");
    const codes = await Promise.race([
      Promise.all(procs.map((p) => p.exited)),
      new Promise<string>((resolve) => setTimeout(() => resolve("still running 15 s after SIGTERM"), 15_000)),
    ]);
    assert.deepEqual(codes, [0, 0]);
  });
} catch (error) {
  results.push({ name: "the Deno roles ran", error });
  console.log(`(fail) the Deno roles ran\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  for (const proc of procs) console.log(`--- stderr of the ${proc.role} role (tail)\n${proc.stderr().slice(-3000)}`);
} finally {
  await killAll(procs);
  await sql.end({ timeout: 1 });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end({ timeout: 1 });
  await server.stop();
}

const failed = results.filter((r) => r.error !== undefined).length;
console.log(`\ntasker on Deno, smoke run in ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
