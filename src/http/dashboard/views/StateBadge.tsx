import { stateLabel } from "./format.ts";

/** A state as coloured text: the colour helps, the words carry it. */
export function StateBadge(props: { state: string }) {
  return (
    <span class={`badge state-${props.state}`} data-state={props.state}>
      {stateLabel(props.state)}
    </span>
  );
}
