import type { StepExplanation } from "../../../orchestration/explainStep.ts";
import { stepTransitionAllowed, isStepState } from "../../../orchestration/stateMachine.ts";
import type { StepDetail } from "../../../orchestration/stepDetailQuery.ts";
import type { DashboardAccess } from "../dashboardAccess.ts";
import { formatTime, prettyJson, stateLabel } from "./format.ts";
import { StateBadge } from "./StateBadge.tsx";

interface StepResults {
  success?: boolean;
  result?: unknown;
  error?: { error_type?: string; message?: string; retryable?: boolean } | null;
}

function Json(props: { label: string; value: unknown; testId: string }) {
  return (
    <details open data-section={props.testId}>
      <summary>{props.label}</summary>
      <pre>{prettyJson(props.value)}</pre>
    </details>
  );
}

/** The operator's actions on a step, each behind a confirmation in the page's script. */
function StepActions(props: { step: StepDetail; actor: string }) {
  const { step } = props;
  if (!isStepState(step.state)) return null;
  const canRetry = stepTransitionAllowed(step.state, "pending") && step.state === "error";
  const canResolve = stepTransitionAllowed(step.state, "resolved_manually");
  if (!canRetry && !canResolve) return null;
  return (
    <form class="step-actions" data-step-actions={step.step_uuid} data-task-uuid={step.task_uuid} data-actor={props.actor}>
      <h4>Actions</h4>
      <label for="action-reason">Reason (recorded with the action)</label>
      <input id="action-reason" name="reason" type="text" required maxlength={1000} value="operator action from the dashboard" />
      <div class="actions">
        {canRetry ? (
          <button type="button" data-action="retry">
            Retry
          </button>
        ) : null}
        {canResolve ? (
          <button type="button" data-action="resolve">
            Resolve
          </button>
        ) : null}
      </div>
      {canResolve ? (
        <>
          <label for="result-json">Result JSON (completes the step with this result)</label>
          <textarea id="result-json" name="result" rows={4} spellcheck={false}>
            {"{}"}
          </textarea>
          <div class="actions">
            <button type="button" data-action="complete">
              Complete with result
            </button>
          </div>
        </>
      ) : null}
    </form>
  );
}

/** Everything about one step: state, timings, retry policy, inputs, result or error, checkpoint, history, explanation. */
export function StepInspector(props: { step: StepDetail; explanation: StepExplanation; access: DashboardAccess }) {
  const { step, explanation } = props;
  const results = step.results as StepResults | null;
  const error = results?.error ?? null;
  return (
    <section aria-labelledby="inspector-heading" data-inspected-step={step.name} data-state={step.state}>
      <h3 id="inspector-heading">
        Step {step.name} <StateBadge state={step.state} />
      </h3>
      {step.created_by !== null ? <p class="muted">Created by the result of {step.created_by}.</p> : null}
      {error ? (
        <div class="step-error" role="status" data-section="error">
          <strong>Error{error.error_type ? ` (${error.error_type})` : ""}:</strong> {error.message ?? "no message"}
          <span class="muted"> {error.retryable === false ? "not retryable" : "retryable"}</span>
        </div>
      ) : null}
      <dl class="facts">
        <dt>Attempts</dt>
        <dd>
          {step.attempts} of {step.max_attempts} ({step.retryable ? "the template allows retries" : "the template allows no retries"})
        </dd>
        <dt>Backoff</dt>
        <dd>
          {step.backoff}, base {step.backoff_base_ms} ms, at most {step.max_backoff_ms} ms
          {step.next_retry_at ? `; next retry ${formatTime(step.next_retry_at)}` : ""}
        </dd>
        <dt>Timeout</dt>
        <dd>{step.timeout_seconds === null ? "—" : `${step.timeout_seconds} s`}</dd>
        <dt>Last attempt</dt>
        <dd>{formatTime(step.last_attempted_at)}</dd>
        <dt>Finished</dt>
        <dd>{formatTime(step.processed_at)}</dd>
      </dl>
      <div class="explain" data-section="explain">
        <h4>{explanation.running ? "Why it is running" : "Why is this step not running?"}</h4>
        <ul>
          {explanation.reasons.map((reason) => (
            <li data-reason={reason.code}>{reason.message}</li>
          ))}
        </ul>
      </div>
      {props.access.can("steps:resolve") ? <StepActions step={step} actor={props.access.actor} /> : null}
      <Json label="Inputs" value={step.inputs} testId="inputs" />
      <Json label="Result" value={results?.result ?? null} testId="result" />
      {step.checkpoint !== null ? <Json label="Checkpoint" value={step.checkpoint} testId="checkpoint" /> : null}
      <details open data-section="history">
        <summary>Transition history</summary>
        <table class="history">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">From</th>
              <th scope="col">To</th>
            </tr>
          </thead>
          <tbody>
            {step.transitions.map((t) => (
              <tr data-from={t.from_state ?? ""} data-to={t.to_state}>
                <td>{formatTime(t.created_at)}</td>
                <td>{t.from_state === null ? "—" : stateLabel(t.from_state)}</td>
                <td>{stateLabel(t.to_state)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </section>
  );
}
