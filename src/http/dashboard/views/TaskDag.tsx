import dagre, { type EdgeLabel, type GraphLabel, type NodeLabel } from "@dagrejs/dagre";
import type { StepSummary } from "../../../orchestration/taskQueries.ts";
import { between, formatDuration, stateLabel } from "./format.ts";

const NODE_WIDTH = 200;
const NODE_HEIGHT = 78;
const MARGIN = 16;

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

/** Shortens a label to fit a node's width (about 7 px per character at the node's font size). */
const fit = (text: string, chars = 26): string => (text.length > chars ? `${text.slice(0, chars - 1)}…` : text);

/**
 * The task's steps as an SVG graph laid out by dagre (left to right). Every node is a link to
 * the step's inspector and carries `data-step-name` and `data-state`; its state is written in
 * it, not only shown by colour. Steps a decision or batch created are dashed and say by whom.
 */
export function TaskDag(props: { taskUuid: string; steps: readonly StepSummary[]; selected?: string | undefined }) {
  const graph = new dagre.graphlib.Graph<GraphLabel, NodeLabel, EdgeLabel>();
  graph.setGraph({ rankdir: "LR", nodesep: 24, ranksep: 56, marginx: MARGIN, marginy: MARGIN });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const step of props.steps) graph.setNode(step.name, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const step of props.steps) {
    for (const parent of step.parents) if (graph.hasNode(parent.name)) graph.setEdge(parent.name, step.name);
  }
  dagre.layout(graph);
  const width = Math.ceil(graph.graph().width ?? NODE_WIDTH + 2 * MARGIN);
  const height = Math.ceil(graph.graph().height ?? NODE_HEIGHT + 2 * MARGIN);
  const now = Date.now();
  return (
    // Scaled down to the page's width, but not below 640 px (wider graphs scroll in their box).
    <svg
      class="dag"
      viewBox={`0 0 ${width} ${height}`}
      width="100%"
      style={`max-width:${width}px;min-width:${Math.min(width, 640)}px;height:auto`}
      role="group"
      aria-label="Workflow steps"
    >
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" class="dag-arrow" />
        </marker>
      </defs>
      {graph.edges().map((edge) => {
        const points = graph.edge(edge).points ?? [];
        const d = points.map((p, i) => `${i === 0 ? "M" : "L"} ${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(" ");
        return <path class="dag-edge" d={d} marker-end="url(#arrow)" data-from={edge.v} data-to={edge.w} />;
      })}
      {props.steps.map((step) => {
        const node = graph.node(step.name);
        const x = (node.x ?? 0) - NODE_WIDTH / 2;
        const y = (node.y ?? 0) - NODE_HEIGHT / 2;
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
              transform={`translate(${x.toFixed(1)} ${y.toFixed(1)})`}
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
    </svg>
  );
}
