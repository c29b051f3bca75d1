import type { TaskResponse } from "../../../orchestration/taskQueries.ts";
import { formatTime } from "./format.ts";
import { StateBadge } from "./StateBadge.tsx";

export interface TaskListPageView {
  tasks: readonly TaskResponse[];
  page: number;
  perPage: number;
  totalCount: number;
  /** More tasks match than were counted (`totalCount` is the cap). */
  countCapped: boolean;
  /** The filter's query parameters, kept by the pagination links. */
  query: Record<string, string>;
}

function pageHref(query: Record<string, string>, page: number): string {
  const params = new URLSearchParams({ ...query, page: String(page) });
  return `/dashboard?${params.toString()}`;
}

/** One page of tasks as a table; every row carries `data-task-uuid` and links to the task's page. */
export function TaskList(props: TaskListPageView) {
  const totalPages = Math.max(1, Math.ceil(props.totalCount / props.perPage));
  const more = props.countCapped ? "+" : "";
  return (
    <section aria-labelledby="task-list-heading">
      <h2 id="task-list-heading">
        Tasks <span class="muted">({props.totalCount.toLocaleString("en")}{more} matching)</span>
      </h2>
      {props.tasks.length === 0 ? (
        <p class="empty">No task matches these filters.</p>
      ) : (
        <table class="tasks">
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">Template</th>
              <th scope="col">State</th>
              <th scope="col">Steps done</th>
              <th scope="col">Created</th>
              <th scope="col">Tags</th>
              <th scope="col">Correlation id</th>
            </tr>
          </thead>
          <tbody>
            {props.tasks.map((task) => (
              <tr data-task-uuid={task.task_uuid}>
                <td>
                  <a href={`/dashboard/tasks/${task.task_uuid}`} class="mono">
                    {task.task_uuid}
                  </a>
                </td>
                <td>
                  {task.namespace}/{task.name} <span class="muted">{task.version}</span>
                </td>
                <td>
                  <StateBadge state={task.status} />
                </td>
                <td>
                  {task.completed_steps}/{task.total_steps}
                </td>
                <td>{formatTime(task.created_at)}</td>
                <td>{task.tags.join(", ")}</td>
                <td class="mono">{task.correlation_id}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pagination" aria-label="Pages">
        {props.page > 1 ? <a href={pageHref(props.query, props.page - 1)} rel="prev">Previous page</a> : null}
        <span>
          Page {props.page} of {totalPages.toLocaleString("en")}{more}
        </span>
        {props.page < totalPages || props.countCapped ? <a href={pageHref(props.query, props.page + 1)} rel="next">Next page</a> : null}
      </nav>
    </section>
  );
}
