import { Hono } from "hono";
import type { Sql } from "postgres";
import { TaskerError, ValidationError } from "../lib/errors.ts";
import { isUuid } from "../lib/ids.ts";
import type { CreateTask } from "../orchestration/taskInitializer.ts";
import { findTask } from "../orchestration/taskQueries.ts";

export interface TaskRoutesDeps {
  sql: Sql;
  /** Undefined until the orchestration has started. */
  createTask: () => CreateTask | undefined;
}

async function readJson(request: Request): Promise<unknown> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/json")) {
    throw new ValidationError("the body must be JSON (content-type: application/json)", { field: "content-type" });
  }
  try {
    return await request.json();
  } catch {
    throw new ValidationError("the body is not valid JSON", { field: "body" });
  }
}

/** POST /v1/tasks and GET /v1/tasks/:task_uuid (the full API arrives with the HTTP issue). */
export function createTaskRoutes(deps: TaskRoutesDeps): Hono {
  const app = new Hono();
  app.post("/v1/tasks", async (c) => {
    const createTask = deps.createTask();
    if (!createTask) throw new TaskerError("SERVICE_UNAVAILABLE", "the orchestration is not running yet");
    const body = await readJson(c.req.raw);
    const created = await createTask(body);
    const task = await findTask(deps.sql, created.taskUuid);
    return c.json(task ?? { task_uuid: created.taskUuid, correlation_id: created.correlationId }, 201);
  });
  app.get("/v1/tasks/:task_uuid", async (c) => {
    const taskUuid = c.req.param("task_uuid");
    if (!isUuid(taskUuid)) throw new ValidationError("task_uuid: must be a UUID", { field: "task_uuid" });
    const task = await findTask(deps.sql, taskUuid);
    if (!task) throw new TaskerError("NOT_FOUND", `no task ${taskUuid}`);
    return c.json(task);
  });
  return app;
}
