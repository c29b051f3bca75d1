/**
 * tasker.complete_step, driven directly: one call records the result, enqueues or takes the
 * next step, and completes the task; history is append-only and complete; results are fenced;
 * a retry is a delayed message claimable once due; a lost completion check is swept up.
 */
/* eslint-disable @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- the functions' JSON answers, read field by field */
import { join } from "node:path";
import { loadNamespaces } from "../../src/worker/loadNamespaces.ts";
import { registerTemplates } from "../../src/worker/templateRegistrar.ts";
import { REPO_ROOT } from "../support/binary.ts";
import { useTestDatabase } from "../support/database.ts";
import { passiveOrchestration } from "../support/engine.ts";
import { beforeAll, expect, test } from "../support/test.ts";

const db = useTestDatabase(import.meta.file);
const WORKER = "01a20000-0000-7000-8000-00000000cafe";
const QUEUE = "worker_linear_workflow_queue";
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const ok = (step: string, value: Json) => ({ step_uuid: step, success: true, status: "completed", result: value, metadata: {}, error: null });
const failed = (step: string, retryAfter?: number) => ({
  step_uuid: step,
  success: false,
  status: "error",
  result: null,
  metadata: { retryable: true },
  error: { message: "boom", error_type: "bench", retryable: true, ...(retryAfter === undefined ? {} : { retry_after_seconds: retryAfter }) },
});

beforeAll(async () => {
  const namespaces = await loadNamespaces(join(REPO_ROOT, "handlers"), ["linear_workflow", "diamond_workflow"]);
  await registerTemplates(db.sql, namespaces.flatMap((ns) => ns.templates.map((t) => t.template)));
});

let made = 0;
const createLinear = async () => {
  made += 1;
  return passiveOrchestration(db.sql).createTask({ namespace: "linear_workflow", name: "mathematical_sequence", version: "1.0.0", context: { even_number: 2 * made } });
};

const claimEnqueued = async (taskUuid: string): Promise<Json> => {
  const [step] = await db.sql<{ id: string }[]>`
    SELECT workflow_step_uuid::text AS id FROM tasker.workflow_steps WHERE task_uuid = ${taskUuid}::uuid AND state = 'enqueued'
     ORDER BY workflow_step_uuid LIMIT 1`;
  const [msg] = await db.sql.unsafe<{ id: string }[]>(`SELECT msg_id::text AS id FROM pgmq."q_${QUEUE}" WHERE message ->> 'step_uuid' = $1`, [step!.id]);
  const [row] = await db.sql<{ r: Json }[]>`SELECT tasker.claim_step(${step!.id}::uuid, ${WORKER}::uuid, ${QUEUE}, ${msg!.id}::bigint, 30, 30) AS r`;
  return row!.r;
};

const complete = async (claimed: Json, result: Json, take = 1): Promise<Json> => {
  const [row] = await db.sql<{ r: Json }[]>`
    SELECT tasker.complete_step(${claimed["step"].step_uuid}::uuid, ${WORKER}::uuid, ${claimed["step"].attempt}::int,
                                ${db.sql.json(result)}::jsonb, 3::bigint, NULL, ${take}::int, true, 30, 30) AS r`;
  return row!.r;
};

test("a_linear_chain_runs_by_continuation_in_one_call_per_step_and_completes_the_task", async () => {
  const task = await createLinear();
  let claimed = await claimEnqueued(task.taskUuid);
  const names: string[] = [];
  for (let i = 0; i < 4; i += 1) {
    names.push(claimed["step"].name);
    const done = await complete(claimed, ok(claimed["step"].step_uuid, { value: i }));
    expect(done["accepted"]).toBe(true);
    if (i < 3) {
      expect(done["continued"]).toHaveLength(1);
      expect(done["continued"][0].source).toBe("continuation");
      claimed = done["continued"][0];
      expect(claimed["dependency_results"]).toHaveProperty(names[i]!);
    } else {
      expect(done["continued"]).toEqual([]);
      expect(done["processed"].evaluation.state).toBe("complete");
    }
  }
  expect(names).toEqual(["linear_step_1", "linear_step_2", "linear_step_3", "linear_step_4"]);
  // No message was needed after the root's, and none is left.
  const [left] = await db.sql.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM pgmq."q_${QUEUE}"`);
  expect(left!.n).toBe(0);
  // Every step's history is whole, in order, and append-only (sort_key 1..n without gaps).
  const history = await db.sql<{ step: string; path: string[]; keys: number[]; tc: number }[]>`
    SELECT ws.workflow_step_uuid::text AS step, array_agg(tr.to_state ORDER BY tr.sort_key) AS path,
           array_agg(tr.sort_key ORDER BY tr.sort_key) AS keys, ws.transition_count AS tc
      FROM tasker.workflow_steps ws JOIN tasker.workflow_step_transitions tr USING (workflow_step_uuid)
     WHERE ws.task_uuid = ${task.taskUuid}::uuid GROUP BY ws.workflow_step_uuid, ws.transition_count`;
  for (const h of history) {
    expect(h.path).toEqual(["pending", "enqueued", "in_progress", "enqueued_for_orchestration", "complete"]);
    expect(h.keys).toEqual([1, 2, 3, 4, 5]);
    expect(h.tc).toBe(5);
  }
  const [audit] = await db.sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM tasker.workflow_step_result_audit WHERE task_uuid = ${task.taskUuid}::uuid AND success`;
  expect(audit!.n).toBe(4);
});

test("a_result_for_an_attempt_that_is_not_current_is_refused_and_changes_nothing", async () => {
  const task = await createLinear();
  const claimed = await claimEnqueued(task.taskUuid);
  const stale = { ...claimed, step: { ...claimed["step"], attempt: claimed["step"].attempt + 1 } };
  const refused = await complete(stale, ok(claimed["step"].step_uuid, { value: 1 }));
  expect(refused).toEqual({ accepted: false, state: "in_progress", attempts: 1 });
  const first = await complete(claimed, ok(claimed["step"].step_uuid, { value: 1 }), 0);
  expect(first["accepted"]).toBe(true);
  expect((await complete(claimed, ok(claimed["step"].step_uuid, { value: 1 })))["accepted"]).toBe(false);
});

test("without_take_the_ready_child_is_enqueued_with_a_message", async () => {
  const task = await createLinear();
  const claimed = await claimEnqueued(task.taskUuid);
  const done = await complete(claimed, ok(claimed["step"].step_uuid, { value: 1 }), 0);
  expect(done["continued"]).toEqual([]);
  expect(done["processed"].evaluation.enqueued).toHaveLength(1);
  expect(done["processed"].evaluation.enqueued[0].msg_id).toBeGreaterThan(0);
  const [queued] = await db.sql.unsafe<{ step: string }[]>(`SELECT message ->> 'step_name' AS step FROM pgmq."q_${QUEUE}"`);
  expect(queued!.step).toBe("linear_step_2");
  await db.sql.unsafe(`DELETE FROM pgmq."q_${QUEUE}"`);
});

test("a_retryable_failure_waits_for_retry_and_its_delayed_message_is_claimable_once_due", async () => {
  const task = await createLinear();
  const claimed = await claimEnqueued(task.taskUuid);
  const done = await complete(claimed, failed(claimed["step"].step_uuid, 1));
  expect(done["processed"].step_to).toBe("waiting_for_retry");
  expect(done["processed"].evaluation.state).toBe("waiting_for_dependencies");
  const [msg] = await db.sql.unsafe<{ id: string; early: boolean }[]>(
    `SELECT msg_id::text AS id, vt > clock_timestamp() AS early FROM pgmq."q_${QUEUE}"`,
  );
  expect(msg!.early).toBe(true);
  // Delivered early (say, by a skewed clock): refused, and hidden until it is due.
  const [early] = await db.sql<{ r: Json }[]>`
    SELECT tasker.claim_step(${claimed["step"].step_uuid}::uuid, ${WORKER}::uuid, ${QUEUE}, ${msg!.id}::bigint, 30, 30) AS r`;
  expect(early!.r["claimed"]).toBe(false);
  expect(typeof early!.r["retry_at"]).toBe("string");
  await db.sql`UPDATE tasker.workflow_steps SET next_retry_at = clock_timestamp() WHERE workflow_step_uuid = ${claimed["step"].step_uuid}::uuid`;
  const [due] = await db.sql<{ r: Json }[]>`
    SELECT tasker.claim_step(${claimed["step"].step_uuid}::uuid, ${WORKER}::uuid, ${QUEUE}, ${msg!.id}::bigint, 30, 30) AS r`;
  expect(due!.r["claimed"]).toBe(true);
  expect(due!.r["step"].attempt).toBe(2);
  expect(due!.r["evaluation"].transitions.map((t: string[]) => t[1])).toEqual(["evaluating_results", "enqueuing_steps", "steps_in_process"]);
  const [left] = await db.sql.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM pgmq."q_${QUEUE}"`);
  expect(left!.n).toBe(0);
});

test("the_backlog_continuation_claims_the_oldest_visible_message_of_the_queue", async () => {
  const first = await createLinear();
  const claimed = await claimEnqueued(first.taskUuid);
  const second = await createLinear();
  // No child preference: the child goes to the queue, the call takes the oldest message (the second task's root).
  const [row] = await db.sql<{ r: Json }[]>`
    SELECT tasker.complete_step(${claimed["step"].step_uuid}::uuid, ${WORKER}::uuid, 1, ${db.sql.json(ok(claimed["step"].step_uuid, { value: 1 }))}::jsonb,
                                1::bigint, NULL, 1, false, 30, 30) AS r`;
  expect(row!.r["continued"]).toHaveLength(1);
  expect(row!.r["continued"][0].source).toBe("backlog");
  expect(row!.r["continued"][0].task.task_uuid).toBe(second.taskUuid);
  const [queued] = await db.sql.unsafe<{ task: string }[]>(`SELECT message ->> 'task_uuid' AS task FROM pgmq."q_${QUEUE}"`);
  expect(queued!.task).toBe(first.taskUuid);
  await db.sql.unsafe(`DELETE FROM pgmq."q_${QUEUE}"`);
});

test("a_task_whose_completion_check_was_lost_is_completed_by_the_sweep", async () => {
  const task = await createLinear();
  const steps = await db.sql<{ id: string }[]>`SELECT workflow_step_uuid::text AS id FROM tasker.workflow_steps WHERE task_uuid = ${task.taskUuid}::uuid`;
  // Every step finished, but the task was never told (a worker stopped before finalize_tasks).
  await db.sql`UPDATE tasker.workflow_steps SET state = 'complete' WHERE workflow_step_uuid = ANY (${steps.map((s) => s.id)}::uuid[])`;
  await db.sql`UPDATE tasker.tasks SET state_entered_at = clock_timestamp() - interval '1 minute' WHERE task_uuid = ${task.taskUuid}::uuid`;
  let cursor: { after_entered: string | null; after_task: string | null } = { after_entered: null, after_task: null };
  const completed: string[] = [];
  for (let page = 0; page < 50; page += 1) {
    const [row] = await db.sql<{ r: Json }[]>`
      SELECT tasker.sweep_finished_tasks(${WORKER}::uuid, ${cursor.after_entered}::timestamptz, ${cursor.after_task}::uuid, 2) AS r`;
    completed.push(...row!.r["evaluations"].filter((e: Json) => e["state"] === "complete").map((e: Json) => e["task_uuid"]));
    cursor = { after_entered: row!.r["after_entered"], after_task: row!.r["after_task"] };
    if (cursor.after_entered === null) break;
  }
  expect(completed).toContain(task.taskUuid);
  const [state] = await db.sql<{ state: string }[]>`SELECT state FROM tasker.tasks WHERE task_uuid = ${task.taskUuid}::uuid`;
  expect(state!.state).toBe("complete");
});
