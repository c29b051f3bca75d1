import { VERSION } from "../version.ts";
import { CLIENT_USAGE } from "./client/clientUsage.ts";

export const USAGE = `tasker ${VERSION}: workflow orchestration on PostgreSQL

Usage:
  tasker --role <orchestration|worker|combined> [options]   start a process
  tasker migrate                                            apply database migrations
  tasker config check [--role <role>]                       print the resolved config, or name what is wrong
  tasker types [--handlers <dir>]                           write the handler SDKs' type declarations for editors
  tasker db <status|stop|reset [--yes]>                     the embedded PostgreSQL (database.mode embedded)
  tasker <task|step|template|dlq|auth> <command> [options]  client commands (below)
  tasker --version
  tasker --help

Role options:
  --role <role>          orchestration: HTTP API and task lifecycle; worker: runs step handlers;
                         combined: both in one process
  --namespace <name>     worker namespaces to serve (repeatable; default: every folder in --handlers)
  --handlers <dir>       directory of handlers/<namespace>/ folders (default ./handlers)
  --port <n>             HTTP port (default 8080; 8081 for --role worker)
  --mode <mode>          hybrid (LISTEN/NOTIFY plus polling), event, or polling (default hybrid)
  --migrate              apply pending migrations before starting (safe with many processes)
  --database-mode <mode> auto (default: DATABASE_URL or 127.0.0.1:5432 when it answers, else the
                         embedded PostgreSQL in ./.tasker/pgdata), url, or embedded

Environment:
  DATABASE_URL           PostgreSQL URL (default postgres://postgres@127.0.0.1:5432/tasker, else embedded)
  TASKER_ENV             test | development | production (default development)
  TASKER_CONFIG_ROOT     directory holding tasker/base/*.toml (default ./config when present)
  TASKER_<SECTION>__<KEY>  any config key, e.g. TASKER_WEB__PORT=9000 (see docs/configuration.md)

${CLIENT_USAGE}
Exit codes: 0 ok, 1 failure, 2 bad usage, 3 the watched task did not complete.
`;
