import type { DlqListQuery, DlqUpdate } from "../../client/apiTypes.ts";
import { formatDlqList } from "../../client/formatDlq.ts";
import { UsageError } from "../usageError.ts";
import {
  expectPositionals,
  integerFlag,
  parseClientArgs,
  stringFlag,
  uuidArgument,
  type ClientGlobals,
} from "./clientArgs.ts";
import { actorOf, writeJson, type ClientRunContext } from "./clientRunContext.ts";

/** tasker-core spells DLQ resolution statuses in PascalCase on the wire. */
export const DLQ_RESOLUTION_STATUSES = ["Pending", "ManuallyResolved", "PermanentlyFailed", "Cancelled"] as const;

export type DlqCommand = { group: "dlq"; globals: ClientGlobals } & (
  | { action: "list"; query: DlqListQuery }
  | { action: "resolve"; dlqEntryUuid: string; status: string; notes: string | undefined; by: string | undefined }
);

export const DLQ_ACTIONS = ["list", "resolve"] as const;

/** Accepts `ManuallyResolved` or `manually_resolved`; sends the PascalCase spelling. */
function resolutionStatus(value: string): string {
  const pascal = value.includes("_") || value === value.toLowerCase()
    ? value.split("_").map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join("")
    : value;
  if ((DLQ_RESOLUTION_STATUSES as readonly string[]).includes(pascal)) return pascal;
  throw new UsageError(`--status must be one of ${DLQ_RESOLUTION_STATUSES.join(", ")}; got "${value}"`);
}

/** `tasker dlq <action> ...` (argv after "dlq"). Returns undefined for --help. */
export function parseDlqCommand(argv: string[]): DlqCommand | undefined {
  const [action, ...args] = argv;
  const command = `dlq ${action ?? ""}`.trim();
  switch (action) {
    case "list": {
      const flags = { status: { type: "string" }, limit: { type: "string" }, offset: { type: "string" } } as const;
      const { help, globals, values, positionals } = parseClientArgs(args, flags);
      if (help) return undefined;
      expectPositionals(command, positionals, []);
      const status = stringFlag(values, "status");
      const limit = integerFlag(values, "limit", { min: 1, max: 1000 });
      const offset = integerFlag(values, "offset", { min: 0 });
      const query: DlqListQuery = {
        ...(status === undefined ? {} : { resolution_status: resolutionStatus(status) }),
        ...(limit === undefined ? {} : { limit }),
        ...(offset === undefined ? {} : { offset }),
      };
      return { group: "dlq", action, globals, query };
    }
    case "resolve": {
      const flags = { status: { type: "string" }, notes: { type: "string" }, by: { type: "string" } } as const;
      const { help, globals, values, positionals } = parseClientArgs(args, flags);
      if (help) return undefined;
      const [entry] = expectPositionals(command, positionals, ["dlq_entry_uuid"]);
      return {
        group: "dlq",
        action,
        globals,
        dlqEntryUuid: uuidArgument("dlq_entry_uuid", entry!),
        status: resolutionStatus(stringFlag(values, "status") ?? "ManuallyResolved"),
        notes: stringFlag(values, "notes"),
        by: stringFlag(values, "by"),
      };
    }
    default:
      throw new UsageError(`unknown dlq command "${action ?? ""}"; try one of ${DLQ_ACTIONS.join(", ")}`);
  }
}

export async function runDlqCommand(command: DlqCommand, ctx: ClientRunContext): Promise<number> {
  if (command.action === "list") {
    const entries = await ctx.client.listDlq(command.query);
    if (ctx.json) writeJson(ctx.stdout, entries);
    else ctx.stdout(formatDlqList(entries));
    return 0;
  }
  const update: DlqUpdate = {
    resolution_status: command.status,
    resolved_by: actorOf(command.by, ctx.env),
    ...(command.notes === undefined ? {} : { resolution_notes: command.notes }),
  };
  const response = await ctx.client.updateDlqEntry(command.dlqEntryUuid, update);
  if (ctx.json) writeJson(ctx.stdout, response);
  else ctx.stdout(`${response.message || "updated"}: DLQ entry ${response.dlq_entry_uuid} is now ${command.status}\n`);
  return 0;
}
