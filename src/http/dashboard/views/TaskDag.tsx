import type { StepSummary } from "../../../orchestration/taskQueries.ts";
import { DagSvg, fit, layoutDag, NODE_HEIGHT, NODE_WIDTH, placeAt } from "./DagSvg.tsx";
import { between, formatDuration, stateLabel } from "./format.ts";

/** The timing line of a node: how long it ran, or since when it runs or waits. */
function timing(step: StepSummary, now: number): string {
  const attempts = `${step.attempts}/${step.max_attempts} attempt${step.max_attempts === 1 ? "" : "s"}`;
  const took = between(step.last_attempted_at, step.processed_at);
  if (took !== undefined) return `${attempts} · took ${formatDuration(took)}`;
  if (step.current_state === "in_progress" && step.last_attempted_at) {
    return `${attempts} · running ${formatDuration(now - new Date(step.last_attempted_at).getTime())}`;
  }
  if (step.next_retry_at) return `${attempts} · retry at ${step.next_retry_at.slice(11, 19)}`;
  return attempts;
}

/**
 * The task's steps as an SVG graph laid out by dagre (left to right). Every node is a link to
 * the step's inspector and carries `data-step-name` and `data-state`; its state is written in
 * it, not only shown by colour. Steps a decision or batch created are dashed and say by whom.
 */
export function TaskDag(props: { taskUuid: string; steps: readonly StepSummary[]; selected?: string | undefined }) {
  const layout = layoutDag(props.steps.map((step) => ({ id: step.name, parents: step.parents.map((p) => p.name) })));
  const now = Date.now();
  return (
    <DagSvg layout={layout} label="Workflow steps">
      {props.steps.map((step) => {
        const dynamic = step.created_by !== null;
        const selected = props.selected === step.workflow_step_uuid;
        return (
          <a
            href={`/dashboard/tasks/${props.taskUuid}?step=${step.workflow_step_uuid}`}
            data-step-link={step.workflow_step_uuid}
            aria-label={`${step.name}: ${stateLabel(step.current_state)}`}
          >
            <g
              class={`dag-node state-${step.current_state}${dynamic ? " dynamic" : ""}${selected ? " selected" : ""}`}
              data-step-name={step.name}
              data-state={step.current_state}
              data-created-by={step.created_by ?? undefined}
              transform={placeAt(layout.corner(step.name))}
            >
              <rect width={NODE_WIDTH} height={NODE_HEIGHT} rx="8" />
              <text x="10" y="20" class="dag-name">{fit(step.name)}</text>
              <text x="10" y="38" class="dag-state">{stateLabel(step.current_state)}</text>
              <text x="10" y="55" class="dag-timing">{timing(step, now)}</text>
              {dynamic ? <text x="10" y="71" class="dag-created-by">{fit(`created by ${step.created_by}`, 30)}</text> : null}
            </g>
          </a>
        );
      })}
    </DagSvg>
  );
}
