import type { Context, Hono } from "hono";
import { html } from "hono/html";
import type { JSX } from "hono/jsx/jsx-runtime";
import type { Sql } from "postgres";
import * as v from "valibot";
import { TaskerError } from "../../lib/errors.ts";
import type { Permission } from "../../lib/permissions.ts";
import { explainStep } from "../../orchestration/explainStep.ts";
import { loadOverview } from "../../orchestration/overviewQuery.ts";
import { findStepDetail } from "../../orchestration/stepDetailQuery.ts";
import { listTasks } from "../../orchestration/taskListQuery.ts";
import { createDlqRepository } from "../../orchestration/dlq/dlqRepository.ts";
import { findTask } from "../../orchestration/taskQueries.ts";
import { findTemplate, listTemplates } from "../../orchestration/templateQueries.ts";
import type { QueueHealthDetail } from "../../queue/queueHealth.ts";
import type { Authenticator } from "../auth/createAuthenticator.ts";
import type { HealthCheckResult } from "../healthCheck.ts";
import { parsePart } from "../requestInput.ts";
import { StepParamsSchema, TaskParamsSchema } from "../schemas/commonSchemas.ts";
import { DlqLimitQuerySchema } from "../schemas/dlqSchemas.ts";
import { TaskListQuerySchema } from "../schemas/taskSchemas.ts";
import { TemplateParamsSchema } from "../schemas/templateSchemas.ts";
import dashboardScript from "./assets/dashboard.js" with { type: "text" };
import { authorizeFragment, type DashboardAccess } from "./dashboardAccess.ts";
import { DASHBOARD_CSS } from "./dashboardStyles.ts";
import { taskChangeStream } from "./taskChangeStream.ts";
import { DlqQueue, type DlqQueueRow } from "./views/DlqQueue.tsx";
import { Layout } from "./views/Layout.tsx";
import { OverviewPanel } from "./views/OverviewPanel.tsx";
import { StepInspector } from "./views/StepInspector.tsx";
import { FILTER_FIELDS, TaskFilters } from "./views/TaskFilters.tsx";
import { TaskDetail } from "./views/TaskDetail.tsx";
import { TaskList } from "./views/TaskList.tsx";
import { TemplateCatalog, TemplateDetailView } from "./views/TemplateViews.tsx";

export interface DashboardDeps {
  sql: Sql;
  authenticator: Authenticator;
  apiKeyHeader: string;
  /** Queue depths; undefined until the orchestration has started. */
  queueHealth: () => Promise<QueueHealthDetail | undefined>;
  /** The role's health checks (lifecycle, database). */
  health: () => Promise<Record<string, HealthCheckResult>>;
  /** Aborted when the process shuts down: live streams end. */
  shutdown: AbortSignal;
  /** A process is online when it heart-beat within this many seconds. */
  aliveSeconds?: number;
  /** web.dashboard.trace_url: a URL with {correlation_id}, or empty. */
  traceUrl?: string;
  /** queues.backpressure.max_depth: task creation is refused above it (0: off). */
  backpressureMaxDepth?: number;
}

/** A whole page: the doctype (standards mode) and the shell. */
const page = (c: Context, shell: JSX.Element): Response | Promise<Response> => c.html(html`<!doctype html>${shell}`);

const STEP_QUERY = v.object({ step: v.optional(v.pipe(v.string(), v.uuid("must be a UUID"))) });

/** The filter parameters that are set (an empty form field means "any"). */
function filterQuery(raw: Record<string, string>): Record<string, string> {
  const query: Record<string, string> = {};
  for (const field of [...FILTER_FIELDS, "page"]) {
    const value = raw[field]?.trim();
    if (value) query[field] = value;
  }
  return query;
}

/**
 * The operations dashboard under /dashboard: public HTML shells (no data in them), and
 * fragments, rendered on the server with Hono's JSX, that the shell's script fetches with the
 * browser's credential. Each fragment is authorized with the permission of the API route
 * whose data it shows, and shows an action only when the caller's permissions allow it; the
 * actions themselves are calls to the API (audit, permissions and events apply).
 */
export function mountDashboard(app: Hono, deps: DashboardDeps): void {
  const { sql } = deps;
  const dlq = createDlqRepository(sql);
  const shell = { authEnabled: deps.authenticator.enabled, apiKeyHeader: deps.apiKeyHeader };
  const access = (headers: Headers, permission: Permission): Promise<DashboardAccess> =>
    authorizeFragment(deps.authenticator, headers, permission);
  const noStore = { "cache-control": "no-store" };

  app.get("/dashboard/assets/dashboard.js", (c) =>
    c.body(dashboardScript, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" }),
  );
  app.get("/dashboard/assets/dashboard.css", (c) =>
    c.body(DASHBOARD_CSS, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "no-cache" }),
  );

  app.get("/dashboard", (c) => {
    const query = filterQuery(c.req.query());
    const fragment = `/dashboard/fragments/tasks?${new URLSearchParams(query).toString()}`;
    return page(
      c,
      <Layout title="Tasks" current="tasks" {...shell}>
        <TaskFilters query={query} />
        <div id="task-list" data-fragment={fragment} aria-live="polite">
          <p class="muted">Loading tasks…</p>
        </div>
      </Layout>,
    );
  });

  app.get("/dashboard/overview", (c) =>
    page(
      c,
      <Layout title="Overview" current="overview" {...shell}>
        <div id="overview" data-fragment="/dashboard/fragments/overview" data-refresh-ms="5000">
          <p class="muted">Loading…</p>
        </div>
      </Layout>,
    ),
  );

  app.get("/dashboard/tasks/:task_uuid", (c) => {
    const { task_uuid: taskUuid } = parsePart(TaskParamsSchema, c.req.param(), "path") as v.InferOutput<typeof TaskParamsSchema>;
    const { step } = parsePart(STEP_QUERY, c.req.query(), "query") as v.InferOutput<typeof STEP_QUERY>;
    return page(
      c,
      <Layout title={`Task ${taskUuid}`} current="task" {...shell}>
        <p>
          <a href="/dashboard">← All tasks</a>
        </p>
        <div class="task-layout">
          <div
            id="task"
            data-fragment={`/dashboard/fragments/tasks/${taskUuid}${step ? `?step=${step}` : ""}`}
            data-live={`/dashboard/events/tasks/${taskUuid}`}
            data-task-uuid={taskUuid}
          >
            <p class="muted">Loading task…</p>
          </div>
          <aside id="inspector" aria-label="Step inspector" data-fragment={step ? `/dashboard/fragments/tasks/${taskUuid}/steps/${step}` : undefined}></aside>
        </div>
      </Layout>,
    );
  });

  /** The list counts at most this many matching tasks ("10,000+"), so a page stays fast at any size. */
  const LIST_COUNT_CAP = 10_000;

  app.get("/dashboard/fragments/tasks", async (c) => {
    await access(c.req.raw.headers, "tasks:list");
    const raw = filterQuery(c.req.query());
    const query = parsePart(TaskListQuerySchema, raw, "query") as v.InferOutput<typeof TaskListQuerySchema>;
    const page = await listTasks(sql, {
      page: query.page,
      perPage: query.per_page,
      namespace: query.namespace,
      state: query.state,
      name: query.name,
      tag: query.tag,
      createdAfter: query.created_after,
      createdBefore: query.created_before,
      uuid: query.uuid,
      countCap: LIST_COUNT_CAP,
    });
    const { page: _page, ...kept } = raw;
    return c.html(
      <TaskList tasks={page.tasks} page={query.page} perPage={query.per_page} totalCount={page.totalCount} countCapped={page.countCapped} query={kept} />,
      200,
      noStore,
    );
  });

  app.get("/dashboard/fragments/tasks/:task_uuid", async (c) => {
    const allowed = await access(c.req.raw.headers, "tasks:read");
    const { task_uuid: taskUuid } = parsePart(TaskParamsSchema, c.req.param(), "path") as v.InferOutput<typeof TaskParamsSchema>;
    const { step } = parsePart(STEP_QUERY, c.req.query(), "query") as v.InferOutput<typeof STEP_QUERY>;
    const task = await findTask(sql, taskUuid);
    if (!task) throw new TaskerError("NOT_FOUND", `no task ${taskUuid}`);
    return c.html(<TaskDetail task={task} access={allowed} selectedStep={step} traceUrl={deps.traceUrl ?? ""} />, 200, noStore);
  });

  app.get("/dashboard/fragments/tasks/:task_uuid/steps/:step_uuid", async (c) => {
    const allowed = await access(c.req.raw.headers, "steps:read");
    const params = parsePart(StepParamsSchema, c.req.param(), "path") as v.InferOutput<typeof StepParamsSchema>;
    const step = await findStepDetail(sql, params.task_uuid, params.step_uuid);
    if (!step) throw new TaskerError("NOT_FOUND", `no step ${params.step_uuid} in task ${params.task_uuid}`);
    const explanation = await explainStep(sql, params.task_uuid, params.step_uuid);
    return c.html(<StepInspector step={step} explanation={explanation} access={allowed} />, 200, noStore);
  });

  app.get("/dashboard/fragments/overview", async (c) => {
    await access(c.req.raw.headers, "system:analytics_read");
    const [overview, queues, health] = await Promise.all([
      loadOverview(sql, { minutes: 30, aliveSeconds: deps.aliveSeconds ?? 30 }),
      deps.queueHealth(),
      deps.health(),
    ]);
    return c.html(<OverviewPanel overview={overview} queues={queues} health={health} backpressureMaxDepth={deps.backpressureMaxDepth ?? 0} />, 200, noStore);
  });

  app.get("/dashboard/dlq", (c) =>
    page(
      c,
      <Layout title="DLQ" current="dlq" {...shell}>
        <div id="dlq" data-fragment="/dashboard/fragments/dlq" aria-live="polite">
          <p class="muted">Loading the DLQ…</p>
        </div>
      </Layout>,
    ),
  );

  app.get("/dashboard/templates", (c) =>
    page(
      c,
      <Layout title="Templates" current="templates" {...shell}>
        <div id="templates" data-fragment="/dashboard/fragments/templates">
          <p class="muted">Loading templates…</p>
        </div>
      </Layout>,
    ),
  );

  app.get("/dashboard/templates/:namespace/:name/:version", (c) => {
    const params = parsePart(TemplateParamsSchema, c.req.param(), "path") as v.InferOutput<typeof TemplateParamsSchema>;
    const path = [params.namespace, params.name, params.version].map(encodeURIComponent).join("/");
    return page(
      c,
      <Layout title={`Template ${params.namespace}/${params.name} ${params.version}`} current="template" {...shell}>
        <p>
          <a href="/dashboard/templates">← All templates</a>
        </p>
        <div id="template" data-fragment={`/dashboard/fragments/templates/${path}`}>
          <p class="muted">Loading the template…</p>
        </div>
      </Layout>,
    );
  });

  // GET /v1/dlq/investigation-queue; its Resolve action is PATCH /v1/dlq/entry/{uuid} (dlq:update).
  app.get("/dashboard/fragments/dlq", async (c) => {
    const allowed = await access(c.req.raw.headers, "dlq:read");
    const { limit } = parsePart(DlqLimitQuerySchema, c.req.query(), "query") as v.InferOutput<typeof DlqLimitQuerySchema>;
    const rows = (await dlq.investigationQueue(limit)) as DlqQueueRow[];
    return c.html(<DlqQueue rows={rows} access={allowed} />, 200, noStore);
  });

  // GET /v1/templates and GET /v1/templates/{namespace}/{name}/{version} (templates:read).
  app.get("/dashboard/fragments/templates", async (c) => {
    await access(c.req.raw.headers, "templates:read");
    return c.html(<TemplateCatalog list={await listTemplates(sql, {})} />, 200, noStore);
  });

  app.get("/dashboard/fragments/templates/:namespace/:name/:version", async (c) => {
    await access(c.req.raw.headers, "templates:read");
    const params = parsePart(TemplateParamsSchema, c.req.param(), "path") as v.InferOutput<typeof TemplateParamsSchema>;
    const template = await findTemplate(sql, params.namespace, params.name, params.version);
    if (!template) throw new TaskerError("NOT_FOUND", `Task template not found: ${params.namespace}/${params.name}@${params.version}`);
    return c.html(<TemplateDetailView template={template} />, 200, noStore);
  });

  app.get("/dashboard/events/tasks/:task_uuid", async (c) => {
    await access(c.req.raw.headers, "tasks:read");
    const { task_uuid: taskUuid } = parsePart(TaskParamsSchema, c.req.param(), "path") as v.InferOutput<typeof TaskParamsSchema>;
    return taskChangeStream(c, sql, taskUuid, deps.shutdown);
  });
}
