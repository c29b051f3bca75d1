import type { Overview } from "../../../orchestration/overviewQuery.ts";
import type { QueueHealthDetail } from "../../../queue/queueHealth.ts";
import type { HealthCheckResult } from "../../healthCheck.ts";
import { CompletionsChart } from "./CompletionsChart.tsx";
import { formatTime } from "./format.ts";
import { StateBadge } from "./StateBadge.tsx";

export interface OverviewView {
  overview: Overview;
  queues: QueueHealthDetail | undefined;
  health: Record<string, HealthCheckResult>;
  /** queues.backpressure.max_depth: a worker queue or orchestration_step_results deeper than this refuses new tasks (0: off). */
  backpressureMaxDepth: number;
}

/** A transaction open this long is worth an operator's look: its snapshot keeps dead tuples from being vacuumed. */
const HELD_SECONDS = 60;

/** Queues whose depth makes POST /v1/tasks answer 503 BACKPRESSURE (the gate watches these two kinds). */
const gated = (queue: string): boolean => queue === "orchestration_step_results" || /^worker_.+_queue$/.test(queue);

/** Task counts by state, queues, processes online, health and completions per minute. */
export function OverviewPanel(props: OverviewView) {
  const { overview, queues, health, backpressureMaxDepth } = props;
  const refusing = (queues?.queues ?? []).filter((q) => backpressureMaxDepth > 0 && gated(q.queue_name) && q.depth > backpressureMaxDepth);
  return (
    <div class="overview">
      <section aria-labelledby="health-heading">
        <h2 id="health-heading">Health</h2>
        <ul class="health">
          {Object.entries(health).map(([name, result]) => (
            <li data-check={name}>
              {name}: <span class={`badge health-${result.status}`}>{result.status}</span>
              {result.message ? <span class="muted"> {result.message}</span> : null}
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="counts-heading">
        <h2 id="counts-heading">Tasks by state</h2>
        {overview.task_counts.length === 0 ? (
          <p class="empty">No tasks yet.</p>
        ) : (
          <table>
            <tbody>
              {overview.task_counts.map((row) => (
                <tr data-state-count={row.state}>
                  <th scope="row">
                    <a href={`/dashboard?state=${row.state}`}>
                      <StateBadge state={row.state} />
                    </a>
                  </th>
                  <td>{row.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-labelledby="chart-heading">
        <h2 id="chart-heading">Throughput</h2>
        <CompletionsChart perMinute={overview.completed_per_minute} />
      </section>
      <section aria-labelledby="queues-heading" class="wide">
        <h2 id="queues-heading">Queues</h2>
        {queues === undefined ? (
          <p class="empty">The orchestration is not running yet.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Queue</th>
                <th scope="col">Depth</th>
                <th scope="col">Oldest message</th>
                <th scope="col">Dead tuples</th>
              </tr>
            </thead>
            <tbody>
              {queues.queues.map((q) => (
                <tr data-queue={q.queue_name}>
                  <td class="mono">{q.queue_name}</td>
                  <td>{q.depth}</td>
                  <td>{q.oldest_message_age_seconds === null ? "—" : `${q.oldest_message_age_seconds} s`}</td>
                  <td title={`last vacuum: ${formatTime(q.last_autovacuum ?? q.last_vacuum)}`}>{q.dead_tuples}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-labelledby="database-heading">
        <h2 id="database-heading">Backpressure and database</h2>
        <p data-backpressure={refusing.length > 0 ? "refusing" : "admitting"}>
          {backpressureMaxDepth === 0
            ? "Backpressure is off (queues.backpressure.max_depth = 0)."
            : refusing.length > 0
              ? `Refusing new tasks (503 BACKPRESSURE): ${refusing.map((q) => `${q.queue_name} holds ${q.depth}`).join(", ")}, over ${backpressureMaxDepth}.`
              : `Admitting new tasks: every watched queue is at or below ${backpressureMaxDepth} messages.`}
        </p>
        <p data-oldest-transaction>
          {queues?.oldest_transaction && queues.oldest_transaction.age_seconds >= HELD_SECONDS
            ? `Holding back cleanup: ${queues.oldest_transaction.application_name || "(no name)"} (pid ${queues.oldest_transaction.pid}, ${queues.oldest_transaction.state ?? "unknown state"}) has had a transaction open for ${Math.round(queues.oldest_transaction.age_seconds)} s (xmin age ${queues.oldest_transaction.xmin_age}).`
            : `No transaction has been open for ${HELD_SECONDS} s or more: nothing holds back cleanup of dead tuples.`}
        </p>
      </section>
      <section aria-labelledby="processes-heading" class="wide">
        <h2 id="processes-heading">Processes online</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">Role</th>
              <th scope="col">Namespaces</th>
              <th scope="col">Host / pid</th>
              <th scope="col">Version</th>
              <th scope="col">Last heartbeat</th>
            </tr>
          </thead>
          <tbody>
            {overview.processes.map((p) => (
              <tr data-process={p.process_uuid}>
                <td>{p.role}</td>
                <td>{p.namespaces.join(", ") || "—"}</td>
                <td>
                  {p.hostname} / {p.pid}
                </td>
                <td>{p.version}</td>
                <td>{formatTime(p.heartbeat_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
