/**
 * Every migration, embedded in the binary by static text imports (a runtime file
 * read would break `bun build --compile`). Forward-only, numbered, immutable once
 * landed. A unit test checks this list against `migrations/` so none is forgotten.
 */
import m0001 from "../../migrations/0001_tasker_schema.sql" with { type: "text" };
import m0002 from "../../migrations/0002_pgmq_extension.sql" with { type: "text" };
import m0003 from "../../migrations/0003_pgmq_builtin.sql" with { type: "text" };
import m0004 from "../../migrations/0004_queue_notify.sql" with { type: "text" };
import m0005 from "../../migrations/0005_core_tables.sql" with { type: "text" };
import m0006 from "../../migrations/0006_state_machine.sql" with { type: "text" };
import m0007 from "../../migrations/0007_task_evaluation.sql" with { type: "text" };
import m0008 from "../../migrations/0008_task_creation.sql" with { type: "text" };
import m0009 from "../../migrations/0009_step_execution.sql" with { type: "text" };
import m0010 from "../../migrations/0010_recovery.sql" with { type: "text" };
import m0011 from "../../migrations/0011_operator_actions.sql" with { type: "text" };
import m0012 from "../../migrations/0012_dlq.sql" with { type: "text" };
import m0013 from "../../migrations/0013_claim_checks_queue.sql" with { type: "text" };
import m0014 from "../../migrations/0014_uuid_v7_sql.sql" with { type: "text" };
import m0015 from "../../migrations/0015_append_only_history.sql" with { type: "text" };
import m0016 from "../../migrations/0016_step_completion.sql" with { type: "text" };
import m0017 from "../../migrations/0017_readiness_and_judgement.sql" with { type: "text" };
import m0018 from "../../migrations/0018_batched_step_path.sql" with { type: "text" };
import m0019 from "../../migrations/0019_dynamic_steps.sql" with { type: "text" };
import m0020 from "../../migrations/0020_lean_task_transitions.sql" with { type: "text" };

export interface Migration {
  /** The number in the file name, e.g. 1 for `0001_tasker_schema.sql`. */
  version: number;
  /** The file name, recorded in `tasker.schema_migrations`. */
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "0001_tasker_schema.sql", sql: m0001 },
  { version: 2, name: "0002_pgmq_extension.sql", sql: m0002 },
  { version: 3, name: "0003_pgmq_builtin.sql", sql: m0003 },
  { version: 4, name: "0004_queue_notify.sql", sql: m0004 },
  { version: 5, name: "0005_core_tables.sql", sql: m0005 },
  { version: 6, name: "0006_state_machine.sql", sql: m0006 },
  { version: 7, name: "0007_task_evaluation.sql", sql: m0007 },
  { version: 8, name: "0008_task_creation.sql", sql: m0008 },
  { version: 9, name: "0009_step_execution.sql", sql: m0009 },
  { version: 10, name: "0010_recovery.sql", sql: m0010 },
  { version: 11, name: "0011_operator_actions.sql", sql: m0011 },
  { version: 12, name: "0012_dlq.sql", sql: m0012 },
  { version: 13, name: "0013_claim_checks_queue.sql", sql: m0013 },
  { version: 14, name: "0014_uuid_v7_sql.sql", sql: m0014 },
  { version: 15, name: "0015_append_only_history.sql", sql: m0015 },
  { version: 16, name: "0016_step_completion.sql", sql: m0016 },
  { version: 17, name: "0017_readiness_and_judgement.sql", sql: m0017 },
  { version: 18, name: "0018_batched_step_path.sql", sql: m0018 },
  { version: 19, name: "0019_dynamic_steps.sql", sql: m0019 },
  { version: 20, name: "0020_lean_task_transitions.sql", sql: m0020 },
];

export const LATEST_MIGRATION_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0;
