import { formatTemplate, formatTemplateList } from "../../client/formatTemplate.ts";
import { UsageError } from "../usageError.ts";
import { expectPositionals, parseClientArgs, stringFlag, type ClientGlobals } from "./clientArgs.ts";
import { writeJson, type ClientRunContext } from "./clientRunContext.ts";

export type TemplateCommand = { group: "template"; globals: ClientGlobals } & (
  | { action: "list"; namespace: string | undefined }
  | { action: "get"; namespace: string; name: string; version: string }
);

export const TEMPLATE_ACTIONS = ["list", "get"] as const;

/** `tasker template <action> ...` (argv after "template"). Returns undefined for --help. */
export function parseTemplateCommand(argv: string[]): TemplateCommand | undefined {
  const [action, ...args] = argv;
  const command = `template ${action ?? ""}`.trim();
  switch (action) {
    case "list": {
      const { help, globals, values, positionals } = parseClientArgs(args, { namespace: { type: "string" } });
      if (help) return undefined;
      expectPositionals(command, positionals, []);
      return { group: "template", action, globals, namespace: stringFlag(values, "namespace") };
    }
    case "get": {
      const { help, globals, positionals } = parseClientArgs(args, {});
      if (help) return undefined;
      const [namespace, name, version] = expectPositionals(command, positionals, ["namespace", "name", "version"]);
      return { group: "template", action, globals, namespace: namespace!, name: name!, version: version! };
    }
    default:
      throw new UsageError(`unknown template command "${action ?? ""}"; try one of ${TEMPLATE_ACTIONS.join(", ")}`);
  }
}

export async function runTemplateCommand(command: TemplateCommand, ctx: ClientRunContext): Promise<number> {
  if (command.action === "list") {
    const list = await ctx.client.listTemplates(command.namespace === undefined ? {} : { namespace: command.namespace });
    if (ctx.json) writeJson(ctx.stdout, list);
    else ctx.stdout(formatTemplateList(list));
    return 0;
  }
  const template = await ctx.client.getTemplate(command.namespace, command.name, command.version);
  if (ctx.json) writeJson(ctx.stdout, template);
  else ctx.stdout(formatTemplate(template));
  return 0;
}
