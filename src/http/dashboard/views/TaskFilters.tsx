import { TASK_STATES } from "../../../orchestration/stateMachine.ts";
import { stateLabel } from "./format.ts";

/** The fields of the task list's filter form, as GET parameters of /dashboard (and of GET /v1/tasks). */
export const FILTER_FIELDS = ["namespace", "name", "state", "tag", "created_after", "created_before", "uuid", "per_page"] as const;

function Field(props: { id: string; label: string; value: string | undefined; type?: string; placeholder?: string }) {
  return (
    <div class="field">
      <label for={`filter-${props.id}`}>{props.label}</label>
      <input id={`filter-${props.id}`} name={props.id} type={props.type ?? "text"} value={props.value ?? ""} placeholder={props.placeholder} />
    </div>
  );
}

/** A plain GET form: filtering works with the keyboard and survives a reload (the filter is in the URL). */
export function TaskFilters(props: { query: Record<string, string> }) {
  const q = props.query;
  return (
    <form class="filters" method="get" action="/dashboard" role="search" aria-label="Filter tasks">
      <Field id="uuid" label="Task uuid or correlation id" value={q["uuid"]} placeholder="0196…" />
      <Field id="namespace" label="Namespace" value={q["namespace"]} />
      <Field id="name" label="Template" value={q["name"]} />
      <div class="field">
        <label for="filter-state">State</label>
        <select id="filter-state" name="state">
          <option value="">any</option>
          {TASK_STATES.map((state) => (
            <option value={state} selected={q["state"] === state}>
              {stateLabel(state)}
            </option>
          ))}
        </select>
      </div>
      <Field id="tag" label="Tag" value={q["tag"]} />
      <Field id="created_after" label="Created after (UTC)" value={q["created_after"]} type="datetime-local" />
      <Field id="created_before" label="Created before (UTC)" value={q["created_before"]} type="datetime-local" />
      <div class="field buttons">
        <button type="submit">Filter</button>
        <a href="/dashboard">Clear filters</a>
      </div>
    </form>
  );
}
