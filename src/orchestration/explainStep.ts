import type { Sql } from "postgres";
import { TaskerError } from "../lib/errors.ts";

export interface ExplanationReason {
  code: string;
  message: string;
  [field: string]: unknown;
}

/** Why a step is or is not running now, in words and fields. */
export interface StepExplanation {
  step_uuid: string;
  task_uuid: string;
  name: string;
  state: string;
  task_state: string;
  running: boolean;
  reasons: ExplanationReason[];
}

interface StepFacts {
  step_uuid: string;
  task_uuid: string;
  name: string;
  state: string;
  task_state: string;
  namespace: string;
  attempts: number;
  max_attempts: number;
  retryable: boolean;
  next_retry_at: Date | null;
  state_entered_at: Date;
  claimed_by: string | null;
  lease_expires_at: Date | null;
  error_type: string | null;
  error_message: string | null;
  handler_retryable: boolean | null;
  unmet: Array<{ name: string; state: string }>;
  failed_steps: string[];
  message_vt: Date | null;
  message_read_ct: number | null;
  workers_alive: number;
  last_worker_heartbeat: Date | null;
  claimer_alive: boolean;
  /** The template step's type and declared dependencies (batch steps: their batch_worker template's). */
  step_type: string | null;
  declared: string[];
  parent_count: number;
  /** The declared dependencies that have steps in the task (by template step name). */
  created_declared: string[];
}

const TERMINAL_TASK = new Set(["complete", "error", "cancelled", "resolved_manually"]);

async function loadFacts(sql: Sql, taskUuid: string, stepUuid: string, deadAfterSeconds: number): Promise<StepFacts | undefined> {
  const [facts] = await sql<StepFacts[]>`
    SELECT s.workflow_step_uuid AS step_uuid, s.task_uuid, st.name, s.state, t.state AS task_state, ns.name AS namespace,
           s.attempts, s.max_attempts, s.retryable, s.next_retry_at, s.state_entered_at, s.claimed_by,
           s.lease_expires_at, s.results #>> '{error,error_type}' AS error_type,
           s.results #>> '{error,message}' AS error_message,
           (s.results #>> '{error,retryable}')::boolean AS handler_retryable,
           (SELECT coalesce(jsonb_agg(jsonb_build_object('name', pst.name, 'state', p.state) ORDER BY pst.name), '[]')
              FROM tasker.workflow_step_edges e
              JOIN tasker.workflow_steps p ON p.workflow_step_uuid = e.from_step_uuid
              JOIN tasker.named_steps pst ON pst.named_step_uuid = p.named_step_uuid
             WHERE e.to_step_uuid = s.workflow_step_uuid
               AND p.state NOT IN ('complete', 'resolved_manually')) AS unmet,
           (SELECT coalesce(array_agg(fst.name ORDER BY fst.name), '{}')
              FROM tasker.workflow_steps f JOIN tasker.named_steps fst USING (named_step_uuid)
             WHERE f.task_uuid = s.task_uuid AND f.state = 'error') AS failed_steps,
           NULL::timestamptz AS message_vt, NULL::int AS message_read_ct,
           (SELECT count(*)::int FROM tasker.processes p
             WHERE ns.name = ANY (p.namespaces) AND p.stopped_at IS NULL
               AND p.heartbeat_at > clock_timestamp() - make_interval(secs => ${deadAfterSeconds}::int)) AS workers_alive,
           (SELECT max(p.heartbeat_at) FROM tasker.processes p WHERE ns.name = ANY (p.namespaces)) AS last_worker_heartbeat,
           s.claimed_by IS NOT NULL AND NOT tasker.process_is_dead(s.claimed_by, ${deadAfterSeconds}::int) AS claimer_alive,
           def.definition ->> 'type' AS step_type,
           ARRAY(SELECT jsonb_array_elements_text(coalesce(def.definition -> 'dependencies', '[]'))) AS declared,
           (SELECT count(*)::int FROM tasker.workflow_step_edges e WHERE e.to_step_uuid = s.workflow_step_uuid) AS parent_count,
           ARRAY(SELECT DISTINCT coalesce(p.template_step_name, pst.name)
                   FROM tasker.workflow_step_edges e
                   JOIN tasker.workflow_steps p ON p.workflow_step_uuid = e.from_step_uuid
                   JOIN tasker.named_steps pst ON pst.named_step_uuid = p.named_step_uuid
                  WHERE e.to_step_uuid = s.workflow_step_uuid) AS created_declared
      FROM tasker.workflow_steps s
      JOIN tasker.named_steps st USING (named_step_uuid)
      JOIN tasker.tasks t USING (task_uuid)
      JOIN tasker.named_tasks nt USING (named_task_uuid)
      JOIN tasker.task_namespaces ns USING (task_namespace_uuid)
      LEFT JOIN LATERAL (SELECT d AS definition FROM jsonb_array_elements(nt.configuration -> 'steps') AS d
                          WHERE d ->> 'name' = coalesce(s.template_step_name, st.name) LIMIT 1) def ON true
     WHERE s.workflow_step_uuid = ${stepUuid}::uuid AND s.task_uuid = ${taskUuid}::uuid`;
  if (!facts) return undefined;
  if (facts.state === "enqueued") {
    // The queue name is built from a validated namespace (the column has a CHECK).
    const queue = `q_worker_${facts.namespace}_queue`;
    const [message] = await sql<{ vt: Date; read_ct: number }[]>`
      SELECT vt, read_ct FROM ${sql("pgmq")}.${sql(queue)}
       WHERE (message ->> 'step_uuid')::uuid = ${stepUuid}::uuid ORDER BY msg_id DESC LIMIT 1`.catch(() => []);
    if (message) {
      facts.message_vt = message.vt;
      facts.message_read_ct = message.read_ct;
    }
  }
  return facts;
}

function seconds(from: Date, to: Date): number {
  return Math.round((to.getTime() - from.getTime()) / 100) / 10;
}

function reasonsFor(f: StepFacts, now: Date): { running: boolean; reasons: ExplanationReason[] } {
  const reasons: ExplanationReason[] = [];
  if (TERMINAL_TASK.has(f.task_state) && !["complete", "resolved_manually"].includes(f.state)) {
    reasons.push({ code: `task_${f.task_state}`, message: `the task is ${f.task_state}; none of its steps will run again` });
  }
  if (f.task_state === "blocked_by_failures") {
    reasons.push({
      code: "task_blocked",
      message: `the task is blocked by failed step(s) ${f.failed_steps.join(", ")}; fix them with reset_for_retry, resolve_manually or complete_manually`,
      failed_steps: f.failed_steps,
    });
  }
  switch (f.state) {
    case "complete":
    case "resolved_manually":
    case "cancelled":
      reasons.push({ code: `step_${f.state}`, message: `the step is ${f.state.replace("_", " ")}` });
      break;
    case "error":
      if (f.error_type === "handler_not_found") {
        reasons.push({ code: "handler_missing", message: `no handler for this step on the worker: ${f.error_message ?? ""}`.trim() });
      } else if (f.handler_retryable === false || !f.retryable) {
        reasons.push({
          code: "permanent_failure",
          message: `the step failed permanently (${f.error_type ?? "error"}: ${f.error_message ?? "no message"})`,
          error_type: f.error_type,
        });
      } else {
        reasons.push({
          code: "attempts_exhausted",
          message: `all ${f.max_attempts} attempts failed; the last with ${f.error_type ?? "error"}: ${f.error_message ?? ""}`.trim(),
          attempts: f.attempts,
          max_attempts: f.max_attempts,
        });
      }
      break;
    case "pending":
      if (f.unmet.length > 0 && f.step_type === "deferred_convergence") {
        const notCreated = f.declared.filter((name) => !f.created_declared.includes(name));
        reasons.push({
          code: "deferred_convergence",
          message:
            `deferred convergence: waiting for ${f.unmet.length} of ${f.parent_count} created dependencies ` +
            `(${f.unmet.map((u) => `${u.name} ${u.state}`).join(", ")})` +
            (notCreated.length > 0 ? `; not created, so not waited for: ${notCreated.join(", ")}` : ""),
          unmet_dependencies: f.unmet,
          not_created: notCreated,
        });
      } else if (f.unmet.length > 0) {
        reasons.push({
          code: "unmet_dependencies",
          message: `waiting for ${f.unmet.map((u) => `${u.name} (${u.state})`).join(", ")}`,
          unmet_dependencies: f.unmet,
        });
      } else if (!TERMINAL_TASK.has(f.task_state) && f.task_state !== "blocked_by_failures") {
        reasons.push({ code: "ready", message: "dependencies are met; the step is enqueued at the task's next evaluation" });
      }
      break;
    case "waiting_for_retry":
      if (f.next_retry_at && f.next_retry_at > now) {
        reasons.push({
          code: "retry_not_due",
          message: `attempt ${f.attempts} failed; the next attempt is due at ${f.next_retry_at.toISOString()} (in ${seconds(now, f.next_retry_at)} s)`,
          next_retry_at: f.next_retry_at.toISOString(),
          attempts: f.attempts,
          max_attempts: f.max_attempts,
        });
      } else {
        reasons.push({ code: "retry_due", message: "the retry is due; the readiness poller enqueues it shortly" });
      }
      break;
    case "enqueued":
      if (f.message_vt && f.message_vt > now) {
        reasons.push({
          code: "message_invisible",
          message: `a worker read the message; it is invisible to others until ${f.message_vt.toISOString()}`,
          visible_at: f.message_vt.toISOString(),
          read_count: f.message_read_ct,
        });
      }
      if (f.workers_alive === 0) {
        reasons.push({
          code: "no_worker",
          message: `no worker has registered namespace ${f.namespace} recently${f.last_worker_heartbeat ? ` (last heartbeat ${f.last_worker_heartbeat.toISOString()})` : ""}; start one with --namespace ${f.namespace}`,
          namespace: f.namespace,
        });
      } else if (!f.message_vt || f.message_vt <= now) {
        reasons.push({
          code: "waiting_for_worker",
          message: `queued for ${seconds(f.state_entered_at, now)} s; ${f.workers_alive} worker(s) serve ${f.namespace}`,
          workers_alive: f.workers_alive,
        });
      }
      break;
    case "in_progress": {
      const lost = !f.claimer_alive;
      reasons.push({
        code: lost ? "worker_lost" : "running",
        message: lost
          ? `attempt ${f.attempts} was claimed by worker ${f.claimed_by ?? "unknown"}, which stopped heart-beating; the reaper retries it`
          : `attempt ${f.attempts} is running on worker ${f.claimed_by ?? "unknown"} since ${f.state_entered_at.toISOString()}`,
        worker_uuid: f.claimed_by,
        lease_expires_at: f.lease_expires_at?.toISOString() ?? null,
      });
      break;
    }
    default:
      reasons.push({
        code: "awaiting_orchestration",
        message: `the worker reported ${f.state === "enqueued_for_orchestration" ? "success" : "a failure"} ${seconds(f.state_entered_at, now)} s ago; the orchestration has not processed it yet`,
      });
  }
  return { running: f.state === "in_progress", reasons };
}

/** Explains a step from its facts in the database. NOT_FOUND when it is not a step of that task. */
export async function explainStep(sql: Sql, taskUuid: string, stepUuid: string, deadAfterSeconds = 30): Promise<StepExplanation> {
  const facts = await loadFacts(sql, taskUuid, stepUuid, deadAfterSeconds);
  if (!facts) throw new TaskerError("NOT_FOUND", `no step ${stepUuid} in task ${taskUuid}`);
  const [clock] = await sql<{ now: Date }[]>`SELECT clock_timestamp() AS now`;
  const { running, reasons } = reasonsFor(facts, clock?.now ?? new Date());
  return {
    step_uuid: facts.step_uuid,
    task_uuid: facts.task_uuid,
    name: facts.name,
    state: facts.state,
    task_state: facts.task_state,
    running,
    reasons,
  };
}
