import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { TaskListQuery, TaskRequest } from "../../client/apiTypes.ts";
import { formatTask, formatTaskList } from "../../client/formatTask.ts";
import { UsageError } from "../usageError.ts";
import {
  expectPositionals,
  integerFlag,
  isJsonObject,
  listFlag,
  parseClientArgs,
  parseJsonText,
  requiredFlag,
  stringFlag,
  uuidArgument,
  type ClientGlobals,
} from "./clientArgs.ts";
import { showResult, type ClientRunContext } from "./clientRunContext.ts";
import { watchTask } from "./watchTask.ts";

export type ContextSource = { kind: "inline"; value: Record<string, unknown> } | { kind: "file"; path: string };

export type TaskCommand = { group: "task"; globals: ClientGlobals } & (
  | { action: "create"; request: Omit<TaskRequest, "context">; context: ContextSource }
  | { action: "get"; taskUuid: string }
  | { action: "list"; query: TaskListQuery }
  | { action: "cancel"; taskUuid: string }
  | { action: "watch"; taskUuid: string; intervalMs: number; timeoutSeconds: number | undefined }
);

export const TASK_ACTIONS = ["create", "get", "list", "cancel", "watch"] as const;
const DEFAULT_WATCH_INTERVAL_MS = 500;

const CREATE_FLAGS = {
  namespace: { type: "string" },
  name: { type: "string" },
  version: { type: "string" },
  context: { type: "string" },
  "context-file": { type: "string" },
  priority: { type: "string" },
  "correlation-id": { type: "string" },
  initiator: { type: "string" },
  "source-system": { type: "string" },
  reason: { type: "string" },
  tag: { type: "string", multiple: true },
  "idempotency-key": { type: "string" },
} as const;

function parseContext(inline: string | undefined, file: string | undefined): ContextSource {
  if (inline !== undefined && file !== undefined) throw new UsageError("give --context or --context-file, not both");
  if (file !== undefined) return { kind: "file", path: file };
  if (inline === undefined) return { kind: "inline", value: {} };
  const value = parseJsonText("--context", inline);
  if (!isJsonObject(value)) throw new UsageError("--context must be a JSON object");
  return { kind: "inline", value };
}

/** `tasker task <action> ...` (argv after "task"). Returns undefined for --help. */
export function parseTaskCommand(argv: string[]): TaskCommand | undefined {
  const [action, ...args] = argv;
  const command = `task ${action ?? ""}`.trim();
  switch (action) {
    case "create": {
      const { help, globals, values, positionals } = parseClientArgs(args, CREATE_FLAGS);
      if (help) return undefined;
      expectPositionals(command, positionals, []);
      const correlationId = stringFlag(values, "correlation-id");
      const tags = listFlag(values, "tag");
      const request: Omit<TaskRequest, "context"> = {
        namespace: requiredFlag(values, "namespace", command),
        name: requiredFlag(values, "name", command),
        version: requiredFlag(values, "version", command),
        ...optional("priority", integerFlag(values, "priority", { min: -100, max: 100 })),
        ...optional("correlation_id", correlationId === undefined ? undefined : uuidArgument("correlation-id", correlationId)),
        ...optional("initiator", stringFlag(values, "initiator")),
        ...optional("source_system", stringFlag(values, "source-system")),
        ...optional("reason", stringFlag(values, "reason")),
        ...optional("tags", tags.length > 0 ? tags : undefined),
        ...optional("idempotency_key", stringFlag(values, "idempotency-key")),
      };
      const context = parseContext(stringFlag(values, "context"), stringFlag(values, "context-file"));
      return { group: "task", action, globals, request, context };
    }
    case "get":
    case "cancel": {
      const { help, globals, positionals } = parseClientArgs(args, {});
      if (help) return undefined;
      const [taskUuid] = expectPositionals(command, positionals, ["task_uuid"]);
      return { group: "task", action, globals, taskUuid: uuidArgument("task_uuid", taskUuid!) };
    }
    case "list": {
      const flags = {
        namespace: { type: "string" },
        status: { type: "string" },
        template: { type: "string" },
        tag: { type: "string" },
        "created-after": { type: "string" },
        "created-before": { type: "string" },
        search: { type: "string" },
        page: { type: "string" },
        "per-page": { type: "string" },
      } as const;
      const { help, globals, values, positionals } = parseClientArgs(args, flags);
      if (help) return undefined;
      expectPositionals(command, positionals, []);
      const query: TaskListQuery = {
        ...optional("namespace", stringFlag(values, "namespace")),
        ...optional("status", stringFlag(values, "status")),
        ...optional("name", stringFlag(values, "template")),
        ...optional("tag", stringFlag(values, "tag")),
        ...optional("created_after", stringFlag(values, "created-after")),
        ...optional("created_before", stringFlag(values, "created-before")),
        ...optional("uuid", stringFlag(values, "search")),
        ...optional("page", integerFlag(values, "page", { min: 1 })),
        ...optional("per_page", integerFlag(values, "per-page", { min: 1, max: 100 })),
      };
      return { group: "task", action, globals, query };
    }
    case "watch": {
      const flags = { "interval-ms": { type: "string" }, "timeout-seconds": { type: "string" } } as const;
      const { help, globals, values, positionals } = parseClientArgs(args, flags);
      if (help) return undefined;
      const [taskUuid] = expectPositionals(command, positionals, ["task_uuid"]);
      return {
        group: "task",
        action,
        globals,
        taskUuid: uuidArgument("task_uuid", taskUuid!),
        intervalMs: integerFlag(values, "interval-ms", { min: 50 }) ?? DEFAULT_WATCH_INTERVAL_MS,
        timeoutSeconds: integerFlag(values, "timeout-seconds", { min: 1 }),
      };
    }
    default:
      throw new UsageError(`unknown task command "${action ?? ""}"; try one of ${TASK_ACTIONS.join(", ")}`);
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

async function readContext(source: ContextSource, cwd: string): Promise<Record<string, unknown>> {
  if (source.kind === "inline") return source.value;
  const path = resolve(cwd, source.path);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read --context-file ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const value = parseJsonText(`--context-file ${path}`, text);
  if (!isJsonObject(value)) throw new UsageError(`--context-file ${path} must hold a JSON object`);
  return value;
}

export async function runTaskCommand(command: TaskCommand, ctx: ClientRunContext): Promise<number> {
  const { client } = ctx;
  const show = (value: unknown, human: () => string): number => showResult(ctx, value, human);
  switch (command.action) {
    case "create": {
      const task = await client.createTask({ ...command.request, context: await readContext(command.context, ctx.cwd) });
      return show(task, () => `created task ${task.task_uuid}\n\n${formatTask(task)}`);
    }
    case "get": {
      const task = await client.getTask(command.taskUuid);
      return show(task, () => formatTask(task));
    }
    case "list": {
      const list = await client.listTasks(command.query);
      return show(list, () => formatTaskList(list));
    }
    case "cancel": {
      const task = await client.cancelTask(command.taskUuid);
      return show(task, () => `cancelled task ${task.task_uuid}; it is now ${task.status}\n`);
    }
    case "watch":
      return watchTask(ctx, {
        taskUuid: command.taskUuid,
        intervalMs: command.intervalMs,
        timeoutMs: command.timeoutSeconds === undefined ? undefined : command.timeoutSeconds * 1000,
      });
  }
}
