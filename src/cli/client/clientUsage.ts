/** The client commands' part of `tasker --help`. */
export const CLIENT_USAGE = `Client commands (talk to a running server over HTTP; no database or config needed):
  tasker task create --namespace <ns> --name <name> --version <x.y.z>
                     [--context <json> | --context-file <path>] [--priority <-100..100>]
                     [--correlation-id <uuid>] [--initiator <s>] [--source-system <s>] [--reason <s>]
                     [--tag <tag>]... [--idempotency-key <key>]
  tasker task get <task_uuid>
  tasker task list [--namespace <ns>] [--status <state>] [--template <name>] [--tag <tag>]
                   [--created-after <time>] [--created-before <time>] [--search <task or correlation uuid>]
                   [--page <n>] [--per-page <1..100>]
  tasker task cancel <task_uuid>
  tasker task watch <task_uuid> [--interval-ms <n>] [--timeout-seconds <n>]
                     follow until terminal; exit 0 when complete, 3 when error, cancelled,
                     blocked_by_failures or resolved_manually
  tasker step list <task_uuid>
  tasker step get <task_uuid> <step_uuid>
  tasker step explain <task_uuid> <step_uuid|step_name>
  tasker step retry|resolve <task_uuid> <step_uuid> --reason <text> [--by <who>]
  tasker step complete <task_uuid> <step_uuid> --result <json> --reason <text> [--by <who>] [--metadata <json>]
  tasker template list [--namespace <ns>]
  tasker template get <namespace> <name> <version>
  tasker dlq list [--status Pending|ManuallyResolved|PermanentlyFailed|Cancelled] [--limit <n>] [--offset <n>]
  tasker dlq resolve <dlq_entry_uuid> [--status <status>] [--notes <text>] [--by <who>]
  Every one takes --url <url> and --json (print the API's JSON instead of tables).
  tasker auth generate-keys [--out <dir>] [--algorithm RS256|ES256] [--force]
                     writes jwt-private-key.pem and jwt-public-key.pem (for development)
  tasker auth generate-token --private-key <path> --permissions <a:b,c:d> [--subject <sub>]
                     [--issuer tasker-core] [--audience tasker-api] [--expires-in-hours 24]

Client environment:
  TASKER_URL             server URL (default http://127.0.0.1:8080); --url wins
  TASKER_AUTH_TOKEN      JWT sent as Authorization: Bearer (wins over the API key)
  TASKER_API_KEY         API key, sent in TASKER_API_KEY_HEADER (default X-API-Key)
`;
