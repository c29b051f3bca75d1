import { parseAuthCommand, type AuthCommand } from "./authCommands.ts";
import { parseDlqCommand, type DlqCommand } from "./dlqCommands.ts";
import { parseStepCommand, type StepCommand } from "./stepCommands.ts";
import { parseTaskCommand, type TaskCommand } from "./taskCommands.ts";
import { parseTemplateCommand, type TemplateCommand } from "./templateCommands.ts";

/** A command that talks to a tasker server over HTTP (or, for auth, to nothing): no database, no config. */
export type ClientCommand = TaskCommand | StepCommand | TemplateCommand | DlqCommand | AuthCommand;

export const CLIENT_GROUPS = ["task", "step", "template", "dlq", "auth"] as const;
export type ClientGroup = (typeof CLIENT_GROUPS)[number];

export function isClientGroup(word: string | undefined): word is ClientGroup {
  return (CLIENT_GROUPS as readonly (string | undefined)[]).includes(word);
}

const PARSERS: Record<ClientGroup, (argv: string[]) => ClientCommand | undefined> = {
  task: parseTaskCommand,
  step: parseStepCommand,
  template: parseTemplateCommand,
  dlq: parseDlqCommand,
  auth: parseAuthCommand,
};

/** argv starting with a client group (`task get <uuid> --json`). Throws UsageError. */
export function parseClientCommand(group: ClientGroup, argv: string[]): { kind: "help" } | { kind: "client"; command: ClientCommand } {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h") return { kind: "help" };
  const command = PARSERS[group](argv);
  return command === undefined ? { kind: "help" } : { kind: "client", command };
}
