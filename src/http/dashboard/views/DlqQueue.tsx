import type { DashboardAccess } from "../dashboardAccess.ts";
import { formatDuration, formatTime, stateLabel } from "./format.ts";

/** A row of the DLQ investigation queue (GET /v1/dlq/investigation-queue). */
export interface DlqQueueRow {
  dlq_entry_uuid: string;
  task_uuid: string;
  original_state: string;
  dlq_reason: string;
  dlq_timestamp: string | Date;
  minutes_in_dlq: number;
  namespace_name: string | null;
  task_name: string | null;
  priority_score: number;
}

const iso = (value: string | Date): string => (value instanceof Date ? value.toISOString() : value);

/**
 * The pending DLQ entries, most urgent first: the task (a link to its page), the reason, the
 * state it was in, how long it has waited. With `dlq:update` each row has a resolution note and
 * a Resolve button (PATCH /v1/dlq/entry/{uuid} through the page's script, after a confirmation).
 */
export function DlqQueue(props: { rows: readonly DlqQueueRow[]; access: DashboardAccess }) {
  const canResolve = props.access.can("dlq:update");
  return (
    <section aria-labelledby="dlq-heading">
      <h2 id="dlq-heading">
        Dead-letter queue <span class="muted">({props.rows.length} awaiting investigation)</span>
      </h2>
      {props.rows.length === 0 ? (
        <p class="empty">No DLQ entry awaits investigation.</p>
      ) : (
        <table class="dlq">
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">Reason</th>
              <th scope="col">State</th>
              <th scope="col">In the DLQ</th>
              {canResolve ? <th scope="col">Resolution</th> : null}
            </tr>
          </thead>
          <tbody>
            {props.rows.map((row) => (
              <tr data-dlq-entry={row.dlq_entry_uuid} data-task-uuid={row.task_uuid}>
                <td>
                  <a href={`/dashboard/tasks/${row.task_uuid}`}>
                    {row.namespace_name && row.task_name ? `${row.namespace_name}/${row.task_name}` : row.task_uuid}
                  </a>
                  <div class="mono muted">{row.task_uuid}</div>
                </td>
                <td data-reason={row.dlq_reason}>{stateLabel(row.dlq_reason)}</td>
                <td>
                  <span class="badge state-pending" data-resolution="pending">pending</span> <span class="muted">was {stateLabel(row.original_state)}</span>
                </td>
                <td>
                  {formatDuration(row.minutes_in_dlq * 60_000)}
                  <div class="muted">since {formatTime(iso(row.dlq_timestamp))}</div>
                </td>
                {canResolve ? (
                  <td>
                    <form class="dlq-resolve" data-dlq-entry={row.dlq_entry_uuid} data-actor={props.access.actor}>
                      <label for={`dlq-note-${row.dlq_entry_uuid}`}>Resolution note</label>
                      <input id={`dlq-note-${row.dlq_entry_uuid}`} name="note" type="text" required maxlength={10_000} />
                      <button type="button" data-action="resolve-dlq">
                        Resolve
                      </button>
                    </form>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
