/**
 * A root step claimed in the creating transaction for a worker of the creating process
 * (worker.claim_at_creation, migration 0020), driven through the orchestration's task
 * initializer with a slot offered by hand: what create_task writes, sends and answers.
 */
import { parseTemplate } from "../../src/templates/parseTemplate.ts";
import type { Orchestration } from "../../src/orchestration/createOrchestration.ts";
import type { LocalSlot } from "../../src/orchestration/taskInitializer.ts";
import { registerTemplates } from "../../src/worker/templateRegistrar.ts";
import { useTestDatabase } from "../support/database.ts";
import { passiveOrchestration } from "../support/engine.ts";
import { beforeAll, describe, expect, test } from "../support/test.ts";

const db = useTestDatabase(import.meta.file);
const WORKER = "01a20000-0000-7000-8000-00000000beef";
const NAMESPACE = "claim_at_creation";
const QUEUE = `worker_${NAMESPACE}_queue`;
let orchestration: Orchestration;
/** What each offered slot was given to run; `offering` turns the offer on and off. */
const runs: Array<readonly unknown[]> = [];
let offering = true;

beforeAll(async () => {
  orchestration = passiveOrchestration(db.sql);
  const template = parseTemplate(
    {
      name: "two_roots",
      version: "1.0.0",
      steps: [
        { name: "left", handler: { callable: "x" }, timeout_seconds: 7 },
        { name: "right", handler: { callable: "x" } },
        { name: "join", handler: { callable: "x" }, depends_on: ["left", "right"] },
      ],
    },
    { file: "two_roots.yaml", namespace: NAMESPACE },
  );
  await registerTemplates(db.sql, [template]);
  orchestration.attachLocalWorker({
    offer: (namespace, name, version): LocalSlot | undefined =>
      offering && namespace === NAMESPACE && name === "two_roots" && version === "1.0.0"
        ? { take: { worker_uuid: WORKER, default_timeout_seconds: 30, lease_grace_seconds: 5 }, run: (claimed) => void runs.push(claimed) }
        : undefined,
  });
});

const request = (n: number) => ({ namespace: NAMESPACE, name: "two_roots", version: "1.0.0", context: { n } });

const steps = (taskUuid: string) => db.sql<{ name: string; state: string; attempts: number; claimed_by: string | null; lease_s: number | null }[]>`
  SELECT st.name, s.state, s.attempts, s.claimed_by::text,
         extract(epoch FROM s.lease_expires_at - s.last_attempted_at)::int AS lease_s
    FROM tasker.workflow_steps s JOIN tasker.named_steps st USING (named_step_uuid)
   WHERE s.task_uuid = ${taskUuid}::uuid ORDER BY st.name`;

const queued = async (taskUuid: string): Promise<string[]> =>
  (await db.sql.unsafe<{ name: string }[]>(`SELECT message ->> 'step_name' AS name FROM pgmq."q_${QUEUE}" WHERE message ->> 'task_uuid' = $1 ORDER BY 1`, [taskUuid])).map((r) => r.name);

describe("claim at creation", () => {
  test("the_first_root_is_claimed_for_the_offered_worker_and_the_other_roots_are_enqueued", async () => {
    runs.length = 0;
    const created = await orchestration.createTask(request(1));
    expect([...(await steps(created.taskUuid))]).toEqual([
      { name: "join", state: "pending", attempts: 0, claimed_by: null, lease_s: null },
      { name: "left", state: "in_progress", attempts: 1, claimed_by: WORKER, lease_s: 12 },
      { name: "right", state: "enqueued", attempts: 0, claimed_by: null, lease_s: null },
    ]);
    expect(await queued(created.taskUuid)).toEqual(["right"]);
    // The slot got the claim context a worker needs, as claim_step answers it.
    expect(runs).toHaveLength(1);
    const [claimed] = runs[0] as Array<{ claimed: boolean; task: { task_uuid: string; context: unknown }; step: { name: string; attempt: number } }>;
    expect(claimed).toMatchObject({ claimed: true, task: { task_uuid: created.taskUuid, context: { n: 1 } }, step: { name: "left", attempt: 1 } });
    // Both roots count as enqueued; the taken one has no message.
    const enqueued = created.evaluation.enqueued ?? [];
    expect(enqueued.map((e) => [e.step_name, e.msg_id === null])).toEqual([["left", true], ["right", false]]);
    expect(created.evaluation.state).toBe("steps_in_process");
    const history = await db.sql<{ from_state: string | null; to_state: string; metadata: Record<string, unknown> }[]>`
      SELECT t.from_state, t.to_state, t.metadata FROM tasker.workflow_step_transitions t
        JOIN tasker.workflow_steps s USING (workflow_step_uuid) JOIN tasker.named_steps st USING (named_step_uuid)
       WHERE s.task_uuid = ${created.taskUuid}::uuid AND st.name = 'left' ORDER BY t.sort_key`;
    expect(history.map((h) => [h.from_state, h.to_state])).toEqual([[null, "pending"], ["pending", "enqueued"], ["enqueued", "in_progress"]]);
    expect(history[2]!.metadata).toEqual({ worker_uuid: WORKER, taken_at_creation: true });
  });

  test("the_taken_attempt_is_fenced_like_any_claim_only_its_worker_completes_it", async () => {
    runs.length = 0;
    const created = await orchestration.createTask(request(2));
    const [claimed] = runs[0] as Array<{ step: { step_uuid: string } }>;
    const complete = async (worker: string) => {
      const [row] = await db.sql<{ r: { accepted: boolean } }[]>`
        SELECT tasker.complete_step(${claimed!.step.step_uuid}::uuid, ${worker}::uuid, 1,
          ${db.sql.json({ step_uuid: claimed!.step.step_uuid, success: true, status: "completed", result: { ok: true }, metadata: {}, error: null })}::jsonb,
          1::bigint, NULL, 0, true, 30, 5) AS r`;
      return row!.r.accepted;
    };
    expect(await complete("01a20000-0000-7000-8000-0000000000ff")).toBe(false);
    expect(await complete(WORKER)).toBe(true);
    expect((await steps(created.taskUuid)).map((s) => [s.name, s.state])).toEqual([["join", "pending"], ["left", "complete"], ["right", "enqueued"]]);
  });

  test("without_an_offer_every_root_is_enqueued_with_its_message", async () => {
    offering = false;
    try {
      runs.length = 0;
      const created = await orchestration.createTask(request(3));
      expect((await steps(created.taskUuid)).map((s) => [s.name, s.state])).toEqual([["join", "pending"], ["left", "enqueued"], ["right", "enqueued"]]);
      expect(await queued(created.taskUuid)).toEqual(["left", "right"]);
      expect(runs).toHaveLength(0);
    } finally {
      offering = true;
    }
  });

  test("a_creation_that_fails_gives_its_slot_back_with_nothing_claimed", async () => {
    runs.length = 0;
    const error = await orchestration.createTask(request(1)).catch((e: unknown) => e); // the identity of the first test's task
    expect((error as { code?: string }).code).toBe("CONFLICT");
    expect(runs).toEqual([[]]);
  });
});
