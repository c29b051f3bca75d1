/**
 * claim_step honours a message only on its step's own namespace queue: a message in another
 * namespace's queue naming the step (forged, or misrouted) is archived and refused, and the
 * step stays claimable by its own workers.
 */
import { createQueueClient } from "../../src/queue/queueClient.ts";
import { loadNamespaces } from "../../src/worker/loadNamespaces.ts";
import { registerTemplates } from "../../src/worker/templateRegistrar.ts";
import { join } from "node:path";
import { useTestDatabase } from "../support/database.ts";
import { REPO_ROOT } from "../support/binary.ts";
import { passiveOrchestration } from "../support/engine.ts";
import { expect, test } from "../support/test.ts";

const db = useTestDatabase(import.meta.file);
const WORKER = "01a20000-0000-7000-8000-00000000beef";

test("a_message_naming_a_step_of_another_namespace_is_archived_and_refused", async () => {
  const [linear] = await loadNamespaces(join(REPO_ROOT, "handlers"), ["linear_workflow"]);
  await registerTemplates(db.sql, linear!.templates.map((t) => t.template));
  const queues = createQueueClient(db.sql);
  const orchestration = passiveOrchestration(db.sql);
  const created = await orchestration.createTask({ namespace: "linear_workflow", name: "mathematical_sequence", version: "1.0.0", context: { even_number: 2 } });
  const [step] = await db.sql<{ id: string }[]>`
    SELECT workflow_step_uuid AS id FROM tasker.workflow_steps WHERE task_uuid = ${created.taskUuid}::uuid AND state = 'enqueued'`;
  const other = "worker_diamond_workflow_queue";
  await queues.create(other);
  const msgId = await queues.send(other, { task_uuid: created.taskUuid, step_uuid: step!.id, correlation_id: created.correlationId });

  const [refused] = await db.sql<{ r: Record<string, unknown> }[]>`
    SELECT tasker.claim_step(${step!.id}::uuid, ${WORKER}::uuid, ${other}, ${msgId}::bigint, 30, 30) AS r`;
  expect(refused!.r).toEqual({ claimed: false, step_uuid: step!.id, state: "enqueued", refused: "wrong_queue", step_queue: "worker_linear_workflow_queue" });
  const [archived] = await db.sql.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM pgmq."a_${other}" WHERE msg_id = $1`, [msgId]);
  expect(archived!.n).toBe(1);
  const [attempts] = await db.sql<{ attempts: number; state: string }[]>`
    SELECT attempts, state FROM tasker.workflow_steps WHERE workflow_step_uuid = ${step!.id}::uuid`;
  expect(attempts).toEqual({ attempts: 0, state: "enqueued" });

  const [claimed] = await db.sql<{ r: { claimed: boolean } }[]>`
    SELECT tasker.claim_step(${step!.id}::uuid, ${WORKER}::uuid, 'worker_linear_workflow_queue', NULL, 30, 30) AS r`;
  expect(claimed!.r.claimed).toBe(true);
});
