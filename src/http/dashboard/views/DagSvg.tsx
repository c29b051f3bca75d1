import dagre, { type EdgeLabel, type GraphLabel, type NodeLabel } from "@dagrejs/dagre";
import type { Child } from "hono/jsx";

export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 78;
const MARGIN = 16;

/** A node of a graph to draw: its id (the step's name) and the ids of its parents. */
export interface DagNodeInput {
  id: string;
  parents: readonly string[];
}

/** An extra edge not given by the parents (e.g. a batchable step to its worker template), drawn dashed. */
export interface DagExtraEdge {
  from: string;
  to: string;
}

export interface DagLayout {
  width: number;
  height: number;
  /** The top-left corner of a node's box. */
  corner(id: string): { x: number; y: number };
  edges: Array<{ from: string; to: string; d: string; extra: boolean }>;
}

/** Lays out a graph left to right with dagre; parents that are not nodes of the graph are ignored. */
export function layoutDag(nodes: readonly DagNodeInput[], extraEdges: readonly DagExtraEdge[] = []): DagLayout {
  const graph = new dagre.graphlib.Graph<GraphLabel, NodeLabel, EdgeLabel>();
  graph.setGraph({ rankdir: "LR", nodesep: 24, ranksep: 56, marginx: MARGIN, marginy: MARGIN });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) graph.setNode(node.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const node of nodes) {
    for (const parent of node.parents) if (graph.hasNode(parent)) graph.setEdge(parent, node.id);
  }
  const extra = new Set<string>();
  for (const edge of extraEdges) {
    if (graph.hasNode(edge.from) && graph.hasNode(edge.to) && !graph.hasEdge(edge.from, edge.to)) {
      graph.setEdge(edge.from, edge.to);
      extra.add(`${edge.from}\u0000${edge.to}`);
    }
  }
  dagre.layout(graph);
  return {
    width: Math.ceil(graph.graph().width ?? NODE_WIDTH + 2 * MARGIN),
    height: Math.ceil(graph.graph().height ?? NODE_HEIGHT + 2 * MARGIN),
    corner(id) {
      const node = graph.node(id);
      return { x: (node.x ?? 0) - NODE_WIDTH / 2, y: (node.y ?? 0) - NODE_HEIGHT / 2 };
    },
    edges: graph.edges().map((edge) => {
      const points = graph.edge(edge).points ?? [];
      const d = points.map((p, i) => `${i === 0 ? "M" : "L"} ${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(" ");
      return { from: edge.v, to: edge.w, d, extra: extra.has(`${edge.v}\u0000${edge.w}`) };
    }),
  };
}

/** Shortens a label to fit a node's width (about 7 px per character at the node's font size). */
export const fit = (text: string, chars = 26): string => (text.length > chars ? `${text.slice(0, chars - 1)}…` : text);

/** `translate(x y)` for a node's group. */
export const placeAt = (corner: { x: number; y: number }): string => `translate(${corner.x.toFixed(1)} ${corner.y.toFixed(1)})`;

/**
 * The SVG frame of a laid-out graph: scaled down to the page's width, but not below 640 px
 * (wider graphs scroll in their box), with the edges drawn; the nodes are the children.
 */
export function DagSvg(props: { layout: DagLayout; label: string; children?: Child }) {
  const { width, height } = props.layout;
  return (
    <svg
      class="dag"
      viewBox={`0 0 ${width} ${height}`}
      width="100%"
      style={`max-width:${width}px;min-width:${Math.min(width, 640)}px;height:auto`}
      role="group"
      aria-label={props.label}
    >
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" class="dag-arrow" />
        </marker>
      </defs>
      {props.layout.edges.map((edge) => (
        <path class={edge.extra ? "dag-edge extra" : "dag-edge"} d={edge.d} marker-end="url(#arrow)" data-from={edge.from} data-to={edge.to} />
      ))}
      {props.children}
    </svg>
  );
}
