import type { StepManualAction } from "../../client/apiTypes.ts";
import { formatAbsentStep, formatExplanation, formatStep, formatStepAction, formatStepList } from "../../client/formatStep.ts";
import { isUuid } from "../../lib/ids.ts";
import { UsageError } from "../usageError.ts";
import {
  expectPositionals,
  isJsonObject,
  parseClientArgs,
  parseJsonText,
  requiredFlag,
  stringFlag,
  uuidArgument,
  type ClientGlobals,
} from "./clientArgs.ts";
import { actorOf, showResult, type ClientRunContext } from "./clientRunContext.ts";

/** The manual actions, by CLI verb. `by` is filled from --by or $USER when the command runs. */
export type StepActionRequest =
  | { action_type: "reset_for_retry"; reason: string }
  | { action_type: "resolve_manually"; reason: string }
  | { action_type: "complete_manually"; reason: string; result: unknown; metadata: Record<string, unknown> | undefined };

export type StepCommand = { group: "step"; globals: ClientGlobals; taskUuid: string } & (
  | { action: "list" }
  | { action: "get"; stepUuid: string }
  /** A step uuid, or a step name: a template step the task does not have is explained from the task's absent steps. */
  | { action: "explain"; step: { uuid: string } | { name: string } }
  | { action: "retry" | "resolve" | "complete"; stepUuid: string; request: StepActionRequest; by: string | undefined }
);

export const STEP_ACTIONS = ["list", "get", "retry", "resolve", "complete", "explain"] as const;

const STEP_NAME = /^[a-z_][a-z0-9_]*$/;

const ACTION_FLAGS = { reason: { type: "string" }, by: { type: "string" } } as const;
const COMPLETE_FLAGS = { ...ACTION_FLAGS, result: { type: "string" }, metadata: { type: "string" } } as const;

/** `tasker step <action> ...` (argv after "step"). Returns undefined for --help. */
export function parseStepCommand(argv: string[]): StepCommand | undefined {
  const [action, ...args] = argv;
  const command = `step ${action ?? ""}`.trim();
  switch (action) {
    case "list": {
      const { help, globals, positionals } = parseClientArgs(args, {});
      if (help) return undefined;
      const [taskUuid] = expectPositionals(command, positionals, ["task_uuid"]);
      return { group: "step", action, globals, taskUuid: uuidArgument("task_uuid", taskUuid!) };
    }
    case "get": {
      const { help, globals, positionals } = parseClientArgs(args, {});
      if (help) return undefined;
      const [taskUuid, stepUuid] = expectPositionals(command, positionals, ["task_uuid", "step_uuid"]);
      return {
        group: "step",
        action,
        globals,
        taskUuid: uuidArgument("task_uuid", taskUuid!),
        stepUuid: uuidArgument("step_uuid", stepUuid!),
      };
    }
    case "explain": {
      const { help, globals, positionals } = parseClientArgs(args, {});
      if (help) return undefined;
      const [taskUuid, step] = expectPositionals(command, positionals, ["task_uuid", "step_uuid|step_name"]);
      if (!isUuid(step!) && !STEP_NAME.test(step!)) {
        throw new UsageError(`<step_uuid|step_name> must be a step's UUID or name; got ${JSON.stringify(step)}`);
      }
      return {
        group: "step",
        action,
        globals,
        taskUuid: uuidArgument("task_uuid", taskUuid!),
        step: isUuid(step!) ? { uuid: step } : { name: step! },
      };
    }
    case "retry":
    case "resolve":
    case "complete": {
      const { help, globals, values, positionals } = parseClientArgs(args, action === "complete" ? COMPLETE_FLAGS : ACTION_FLAGS);
      if (help) return undefined;
      const [taskUuid, stepUuid] = expectPositionals(command, positionals, ["task_uuid", "step_uuid"]);
      const reason = requiredFlag(values, "reason", command);
      let request: StepActionRequest;
      if (action === "retry") request = { action_type: "reset_for_retry", reason };
      else if (action === "resolve") request = { action_type: "resolve_manually", reason };
      else {
        const result = parseJsonText("--result", requiredFlag(values, "result", command));
        const metadataText = stringFlag(values, "metadata");
        const metadata = metadataText === undefined ? undefined : parseJsonText("--metadata", metadataText);
        if (metadata !== undefined && !isJsonObject(metadata)) throw new UsageError("--metadata must be a JSON object");
        request = { action_type: "complete_manually", reason, result, metadata };
      }
      return {
        group: "step",
        action,
        globals,
        taskUuid: uuidArgument("task_uuid", taskUuid!),
        stepUuid: uuidArgument("step_uuid", stepUuid!),
        request,
        by: stringFlag(values, "by"),
      };
    }
    default:
      throw new UsageError(`unknown step command "${action ?? ""}"; try one of ${STEP_ACTIONS.join(", ")}`);
  }
}

/** The PATCH body (reference 7.3 StepManualAction) for a parsed action. */
export function stepManualAction(request: StepActionRequest, by: string): StepManualAction {
  switch (request.action_type) {
    case "reset_for_retry":
      return { action_type: "reset_for_retry", reason: request.reason, reset_by: by };
    case "resolve_manually":
      return { action_type: "resolve_manually", reason: request.reason, resolved_by: by };
    case "complete_manually":
      return {
        action_type: "complete_manually",
        reason: request.reason,
        completed_by: by,
        completion_data: { result: request.result, ...(request.metadata ? { metadata: request.metadata } : {}) },
      };
  }
}

const VERBS = { retry: "reset for retry:", resolve: "resolved manually:", complete: "completed manually:" } as const;

export async function runStepCommand(command: StepCommand, ctx: ClientRunContext): Promise<number> {
  const { client } = ctx;
  const show = (value: unknown, human: () => string): number => showResult(ctx, value, human);
  switch (command.action) {
    case "list": {
      const steps = await client.listSteps(command.taskUuid);
      return show(steps, () => formatStepList(steps));
    }
    case "get": {
      const step = await client.getStep(command.taskUuid, command.stepUuid);
      return show(step, () => formatStep(step));
    }
    case "explain": {
      let stepUuid = "uuid" in command.step ? command.step.uuid : undefined;
      if (stepUuid === undefined) {
        const name = (command.step as { name: string }).name;
        const task = await client.getTask(command.taskUuid);
        stepUuid = task.steps.find((s) => s.name === name)?.workflow_step_uuid;
        if (stepUuid === undefined) {
          const absent = task.absent_steps?.find((a) => a.name === name);
          if (!absent) throw new UsageError(`task ${command.taskUuid} has no step named "${name}", and its template declares none`);
          return show({ name, absent: true, code: absent.code, reason: absent.reason }, () => formatAbsentStep(absent));
        }
      }
      const explanation = await client.explainStep(command.taskUuid, stepUuid);
      return show(explanation, () => formatExplanation(explanation));
    }
    case "retry":
    case "resolve":
    case "complete": {
      const action = stepManualAction(command.request, actorOf(command.by, ctx.env));
      const step = await client.actOnStep(command.taskUuid, command.stepUuid, action);
      return show(step, () => formatStepAction(VERBS[command.action], step));
    }
  }
}
