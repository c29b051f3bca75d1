/**
 * The SQL fences the other fault tests rely on, driven by hand against a running
 * orchestrator (its reaper does the recovery): a second delivery of a claimed
 * step is not claimed again; a result from an attempt whose lease was reaped is
 * refused; a result is recorded once; a duplicate completion notice changes
 * nothing; a parent's completion releases its child once.
 */
import { randomUUID } from "node:crypto";
import { useTestDatabase } from "../support/database.ts";
import { waitFor } from "../support/waitFor.ts";
import { expect, test } from "../support/test.ts";
import { createTask, killAll, stepNamed, type RoleProcess } from "../e2e/engineHarness.ts";
import { FAULT_TEST_TIMEOUT_MS, startMixedRole } from "./faultHarness.ts";

const db = useTestDatabase(import.meta.file);
const QUEUE = "worker_fault_mixed_queue";

type Json = Record<string, unknown>;

test(
  "late_duplicate_and_reaped_results_are_refused_and_a_result_is_applied_once",
  async () => {
    const procs: RoleProcess[] = [];
    const workerA = randomUUID();
    const workerB = randomUUID();
    const heartbeat = async (): Promise<void> => {
      for (const id of [workerA, workerB]) {
        await db.sql`SELECT tasker.heartbeat_process(${id}::uuid, 'worker', ARRAY['fault_mixed'], 'test', 0, 'test')`;
      }
    };
    const beating = setInterval(() => void heartbeat().catch(() => {}), 300);
    try {
      await heartbeat();
      // A real worker registers the templates and leaves; the two workers below are played by SQL.
      const registrar = await startMixedRole("worker", db.url);
      registrar.kill("SIGTERM");
      await registrar.exited;
      const orchestration = await startMixedRole("orchestration", db.url);
      procs.push(orchestration);
      const task = await createTask(orchestration.baseUrl, { namespace: "fault_mixed", name: "chain", version: "1.0.0", context: { step_ms: 0 } });
      const step = stepNamed(task, "first").workflow_step_uuid;
      const child = stepNamed(task, "second").workflow_step_uuid;

      const messageFor = async (): Promise<string | undefined> => {
        const [row] = await db.sql.unsafe<{ msg_id: string }[]>(
          `SELECT msg_id::text FROM pgmq."q_${QUEUE}" WHERE message->>'step_uuid' = $1 ORDER BY msg_id DESC LIMIT 1`,
          [step],
        );
        return row?.msg_id;
      };
      const claim = async (worker: string, msgId: string | null): Promise<Json> => {
        const [row] = await db.sql<{ r: Json }[]>`SELECT tasker.claim_step(${step}::uuid, ${worker}::uuid, ${QUEUE}, ${msgId}::bigint, 30, 5) AS r`;
        return row!.r;
      };
      const submit = async (worker: string, attempt: number): Promise<Json> => {
        const result = { step_uuid: step, success: true, status: "completed", result: { value: 1, by: worker }, metadata: { attempt, retryable: false }, error: null };
        const [row] = await db.sql<{ r: Json }[]>`
          SELECT tasker.submit_step_result(${step}::uuid, ${worker}::uuid, ${attempt}::int, ${db.sql.json(result)}::jsonb, 1::bigint, NULL) AS r`;
        return row!.r;
      };
      const stepState = async (uuid: string): Promise<{ state: string; attempts: number; remaining_dependencies: number }> => {
        const [row] = await db.sql<{ state: string; attempts: number; remaining_dependencies: number }[]>`
          SELECT state, attempts, remaining_dependencies FROM tasker.workflow_steps WHERE workflow_step_uuid = ${uuid}::uuid`;
        return row!;
      };

      // Attempt 1: A claims; a second delivery to B is acknowledged but not claimed.
      const first = await waitFor(messageFor, { timeoutMs: 5_000, description: "the step's message" });
      expect(await claim(workerA, first)).toMatchObject({ claimed: true, step: { attempt: 1 } });
      expect(await claim(workerB, null)).toMatchObject({ claimed: false, state: "in_progress" });

      // A's lease runs out; the orchestrator's reaper takes the attempt back and re-enqueues the step.
      await db.sql`UPDATE tasker.workflow_steps SET lease_expires_at = clock_timestamp() - interval '1 second' WHERE workflow_step_uuid = ${step}::uuid`;
      await waitFor(async () => (await stepState(step)).state === "enqueued", { timeoutMs: 10_000, description: "the reaper to re-enqueue the step" });
      expect(await submit(workerA, 1)).toMatchObject({ accepted: false });

      // Attempt 2 on B: recorded once; the same submission again, or A's, is refused.
      const second = await waitFor(messageFor, { timeoutMs: 5_000, description: "the retry's message" });
      expect(await claim(workerB, second)).toMatchObject({ claimed: true, step: { attempt: 2 } });
      expect(await submit(workerA, 2)).toMatchObject({ accepted: false });
      expect(await submit(workerB, 2)).toMatchObject({ accepted: true, state: "enqueued_for_orchestration" });
      expect(await submit(workerB, 2)).toMatchObject({ accepted: false });

      // The orchestrator applies the notice; a duplicate notice afterwards changes nothing.
      await waitFor(async () => (await stepState(step)).state === "complete", { timeoutMs: 10_000, description: "the step to complete" });
      const [again] = await db.sql<{ r: Json }[]>`SELECT tasker.process_step_result(${step}::uuid, ${randomUUID()}::uuid) AS r`;
      expect(again!.r).toMatchObject({ found: true, step_from: "complete", step_to: null });

      const transitions = await db.sql<{ to_state: string; n: number }[]>`
        SELECT to_state, count(*)::int AS n FROM tasker.workflow_step_transitions
         WHERE workflow_step_uuid = ${step}::uuid GROUP BY to_state ORDER BY to_state`;
      expect(Object.fromEntries(transitions.map((t) => [t.to_state, t.n]))).toEqual({
        complete: 1,
        enqueued: 2,
        enqueued_as_error_for_orchestration: 1,
        enqueued_for_orchestration: 1,
        in_progress: 2,
        pending: 2, // created, and again on the way from waiting_for_retry to enqueued
        waiting_for_retry: 1,
      });
      const audit = await db.sql<{ attempt: number; worker_uuid: string; success: boolean }[]>`
        SELECT attempt, worker_uuid::text, success FROM tasker.workflow_step_result_audit WHERE workflow_step_uuid = ${step}::uuid`;
      expect([...audit]).toEqual([{ attempt: 2, worker_uuid: workerB, success: true }]);
      const [stored] = await db.sql<{ by: string }[]>`SELECT results #>> '{result,by}' AS by FROM tasker.workflow_steps WHERE workflow_step_uuid = ${step}::uuid`;
      expect(stored!.by).toBe(workerB);
      // The child was released once: no dependency left, enqueued once.
      expect(await stepState(child)).toMatchObject({ remaining_dependencies: 0, state: "enqueued" });
      const [childEnqueues] = await db.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM tasker.workflow_step_transitions WHERE workflow_step_uuid = ${child}::uuid AND to_state = 'enqueued'`;
      expect(childEnqueues!.n).toBe(1);
    } finally {
      clearInterval(beating);
      await killAll(procs);
    }
  },
  FAULT_TEST_TIMEOUT_MS,
);
