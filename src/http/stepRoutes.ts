import type { Sql } from "postgres";
import { TaskerError } from "../lib/errors.ts";
import { explainStep } from "../orchestration/explainStep.ts";
import type { OperatorActions } from "../orchestration/operatorActions.ts";
import { StepManualActionSchema } from "../orchestration/stepActions.ts";
import { findStep, listSteps, stepAudit, type StepResponse } from "../orchestration/stepQueries.ts";
import { defineRoute, type ApiRoute } from "./apiRoute.ts";
import { requireOperator } from "./taskRoutes.ts";
import { StepParamsSchema, TaskParamsSchema } from "./schemas/commonSchemas.ts";
import { StepAuditResponseSchema, StepExplanationSchema, StepResponseSchema } from "./schemas/stepSchemas.ts";
import * as v from "valibot";

export interface StepRoutesDeps {
  sql: Sql;
  /** Operator actions with their lifecycle events; undefined until the orchestration has started. */
  operator: () => OperatorActions | undefined;
}

async function requireStep(sql: Sql, taskUuid: string, stepUuid: string): Promise<StepResponse> {
  const step = await findStep(sql, taskUuid, stepUuid);
  if (step === "task") throw new TaskerError("NOT_FOUND", `no task ${taskUuid}`);
  if (step === "step") throw new TaskerError("NOT_FOUND", `no step ${stepUuid} in task ${taskUuid}`);
  return step;
}

const stepNotFound = { description: "No such task, or the step does not belong to it" };

/** /v1/tasks/{task_uuid}/workflow_steps: list, get, manual actions, audit, explain. */
export function createStepRoutes(deps: StepRoutesDeps): ApiRoute[] {
  const { sql } = deps;
  return [
    defineRoute(
      {
        method: "get",
        path: "/v1/tasks/{task_uuid}/workflow_steps",
        operationId: "listSteps",
        summary: "The steps of a task in template order, with results and readiness",
        tag: "steps",
        permission: "steps:read",
        params: TaskParamsSchema,
        responses: { 200: { description: "The steps", schema: v.array(StepResponseSchema) }, 404: { description: "No such task" } },
      },
      async ({ params, c }) => {
        const steps = await listSteps(sql, params.task_uuid);
        if (!steps) throw new TaskerError("NOT_FOUND", `no task ${params.task_uuid}`);
        return c.json(steps);
      },
    ),
    defineRoute(
      {
        method: "get",
        path: "/v1/tasks/{task_uuid}/workflow_steps/{step_uuid}",
        operationId: "getStep",
        summary: "One step with its stored result and readiness fields",
        tag: "steps",
        permission: "steps:read",
        params: StepParamsSchema,
        responses: { 200: { description: "The step", schema: StepResponseSchema }, 404: stepNotFound },
      },
      async ({ params, c }) => c.json(await requireStep(sql, params.task_uuid, params.step_uuid)),
    ),
    defineRoute(
      {
        method: "patch",
        path: "/v1/tasks/{task_uuid}/workflow_steps/{step_uuid}",
        operationId: "applyStepAction",
        summary: "Operator action: reset_for_retry, resolve_manually or complete_manually",
        description: "The task is re-evaluated in the same transaction, so a blocked task moves on.",
        tag: "steps",
        permission: "steps:resolve",
        params: StepParamsSchema,
        body: StepManualActionSchema,
        responses: {
          200: { description: "The step after the action", schema: StepResponseSchema },
          400: { description: "The state machine forbids this action now (INVALID_STATE), or a bad body" },
          404: stepNotFound,
        },
      },
      async ({ params, body, c }) => {
        await requireStep(sql, params.task_uuid, params.step_uuid);
        await requireOperator(deps.operator).applyStepAction(params.task_uuid, params.step_uuid, body);
        return c.json(await requireStep(sql, params.task_uuid, params.step_uuid));
      },
    ),
    defineRoute(
      {
        method: "get",
        path: "/v1/tasks/{task_uuid}/workflow_steps/{step_uuid}/audit",
        operationId: "getStepAudit",
        summary: "The step's result audit trail, newest first",
        tag: "steps",
        permission: "steps:read",
        params: StepParamsSchema,
        responses: { 200: { description: "Audit records", schema: v.array(StepAuditResponseSchema) }, 404: stepNotFound },
      },
      async ({ params, c }) => {
        await requireStep(sql, params.task_uuid, params.step_uuid);
        return c.json(await stepAudit(sql, params.task_uuid, params.step_uuid));
      },
    ),
    defineRoute(
      {
        method: "get",
        path: "/v1/tasks/{task_uuid}/workflow_steps/{step_uuid}/explain",
        operationId: "explainStep",
        summary: "Why this step is or is not running now, in words and fields",
        tag: "steps",
        permission: "steps:read",
        params: StepParamsSchema,
        responses: { 200: { description: "The explanation", schema: StepExplanationSchema }, 404: stepNotFound },
      },
      async ({ params, c }) => c.json(await explainStep(sql, params.task_uuid, params.step_uuid)),
    ),
  ];
}
