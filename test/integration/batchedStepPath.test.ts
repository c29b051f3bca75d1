/**
 * tasker.claim_steps and tasker.complete_steps, driven directly: several claims or results in
 * one transaction, each with the semantics of its single call (refusals, fences, continuation,
 * task completion), answered in the order they were given.
 */
/* eslint-disable @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- the functions' JSON answers, read field by field */
import { join } from "node:path";
import { loadNamespaces } from "../../src/worker/loadNamespaces.ts";
import { registerTemplates } from "../../src/worker/templateRegistrar.ts";
import { REPO_ROOT } from "../support/binary.ts";
import { useTestDatabase } from "../support/database.ts";
import { passiveOrchestration } from "../support/engine.ts";
import { beforeAll, expect, test } from "../support/test.ts";

const db = useTestDatabase(import.meta.file);
const WORKER = "01a20000-0000-7000-8000-00000000beef";
const QUEUE = "worker_linear_workflow_queue";
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const ok = (step: string, value: Json) => ({ step_uuid: step, success: true, status: "completed", result: value, metadata: {}, error: null });

beforeAll(async () => {
  const namespaces = await loadNamespaces(join(REPO_ROOT, "handlers"), ["linear_workflow"]);
  await registerTemplates(db.sql, namespaces.flatMap((ns) => ns.templates.map((t) => t.template)));
});

let made = 0;
const createLinear = async () => {
  made += 1;
  return passiveOrchestration(db.sql).createTask({ namespace: "linear_workflow", name: "mathematical_sequence", version: "1.0.0", context: { even_number: 2 * made } });
};

/** The root step and its message of each task. */
const rootMessages = async (taskUuids: string[]): Promise<Array<{ step: string; msg: string }>> => {
  const out: Array<{ step: string; msg: string }> = [];
  for (const task of taskUuids) {
    const [step] = await db.sql<{ id: string }[]>`
      SELECT workflow_step_uuid::text AS id FROM tasker.workflow_steps WHERE task_uuid = ${task}::uuid AND state = 'enqueued'`;
    const [msg] = await db.sql.unsafe<{ id: string }[]>(`SELECT msg_id::text AS id FROM pgmq."q_${QUEUE}" WHERE message ->> 'step_uuid' = $1`, [step!.id]);
    out.push({ step: step!.id, msg: msg!.id });
  }
  return out;
};

const claimSteps = async (messages: Array<{ step: string; msg: string }>): Promise<Json[]> => {
  const [row] = await db.sql<{ r: Json[] }[]>`
    SELECT tasker.claim_steps(${WORKER}::uuid, ${QUEUE}, ${messages.map((m) => m.msg)}::bigint[], ${messages.map((m) => m.step)}::uuid[], 30, 30) AS r`;
  return row!.r;
};

const completeSteps = async (items: Json[]): Promise<Json[]> => {
  const [row] = await db.sql<{ r: Json[] }[]>`SELECT tasker.complete_steps(${WORKER}::uuid, ${db.sql.json(items)}::jsonb, 30, 30) AS r`;
  return row!.r;
};

test("claim_steps_claims_each_message_and_answers_in_input_order_refusing_what_is_not_claimable", async () => {
  const tasks = await Promise.all([createLinear(), createLinear(), createLinear()]);
  const messages = await rootMessages(tasks.map((t) => t.taskUuid));
  // The third step is claimed already (another delivery): its message must be refused and archived.
  await claimSteps([messages[2]!]);
  const reversed = [...messages].reverse();
  const claims = await claimSteps(reversed);
  expect(claims).toHaveLength(3);
  expect(claims[0]!.claimed).toBe(false);
  expect(claims[0]!.step_uuid).toBe(messages[2]!.step);
  expect(claims[1]!.claimed).toBe(true);
  expect(claims[1]!.step.step_uuid).toBe(messages[1]!.step);
  expect(claims[2]!.claimed).toBe(true);
  expect(claims[2]!.step.step_uuid).toBe(messages[0]!.step);
  expect(claims[2]!.step.attempt).toBe(1);
  const [left] = await db.sql.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM pgmq."q_${QUEUE}" WHERE msg_id = ANY($1::bigint[])`, [messages.map((m) => m.msg)]);
  expect(left!.n).toBe(0);
});

test("claim_steps_refuses_mismatched_arrays_with_a_clear_error", async () => {
  const message = await db.sql`SELECT tasker.claim_steps(${WORKER}::uuid, ${QUEUE}, ARRAY[1]::bigint[], ARRAY[]::uuid[], 30, 30)`.then(
    () => "no error",
    (e: Error) => e.message,
  );
  expect(message).toContain("claim_steps: 1 message ids for 0 steps");
});

test("complete_steps_applies_each_result_with_its_own_fence_and_continuation_in_one_transaction", async () => {
  const tasks = await Promise.all([createLinear(), createLinear()]);
  const claims = await claimSteps(await rootMessages(tasks.map((t) => t.taskUuid)));
  const item = (claim: Json, attempt: number) => ({
    step_uuid: claim.step.step_uuid,
    attempt,
    results: ok(claim.step.step_uuid, { value: 7 }),
    execution_time_ms: 2,
    headers: null,
    take: 1,
    prefer_children: true,
  });
  // The second result names an attempt that is not current: refused, while the first is applied.
  const answers = await completeSteps([item(claims[0]!, 1), item(claims[1]!, 5)]);
  expect(answers).toHaveLength(2);
  expect(answers[0]!.accepted).toBe(true);
  expect(answers[0]!.continued).toHaveLength(1);
  expect(answers[0]!.continued[0].source).toBe("continuation");
  expect(answers[0]!.continued[0].step.name).toBe("linear_step_2");
  expect(answers[0]!.continued[0].dependency_results).toHaveProperty("linear_step_1");
  expect(answers[1]!.accepted).toBe(false);
  expect(answers[1]!.state).toBe("in_progress");
  const states = await db.sql<{ name: string; state: string }[]>`
    SELECT ns.name, ws.state FROM tasker.workflow_steps ws JOIN tasker.named_steps ns USING (named_step_uuid)
     WHERE ws.task_uuid = ${tasks[0].taskUuid}::uuid ORDER BY ns.name`;
  expect(states.map((s) => `${s.name}:${s.state}`)).toEqual([
    "linear_step_1:complete",
    "linear_step_2:in_progress",
    "linear_step_3:pending",
    "linear_step_4:pending",
  ]);
  // The refused one is still the worker's, attempt 1, and can be completed normally.
  const [retry] = await completeSteps([item(claims[1]!, 1)]);
  expect(retry!.accepted).toBe(true);
});

test("complete_steps_finishes_a_task_whose_last_step_is_in_the_batch", async () => {
  const task = await createLinear();
  let [claim] = await claimSteps(await rootMessages([task.taskUuid]));
  for (let i = 0; i < 4; i += 1) {
    const [answer] = await completeSteps([
      { step_uuid: claim!.step.step_uuid, attempt: claim!.step.attempt, results: ok(claim!.step.step_uuid, { value: i }), execution_time_ms: 1, headers: null, take: 1, prefer_children: true },
    ]);
    expect(answer!.accepted).toBe(true);
    if (i === 3) expect(answer!.processed.evaluation.state).toBe("complete");
    else claim = answer!.continued[0];
  }
  const [row] = await db.sql<{ state: string }[]>`SELECT state FROM tasker.tasks WHERE task_uuid = ${task.taskUuid}::uuid`;
  expect(row!.state).toBe("complete");
});
