import { useTestDatabase } from "../support/database.ts";
import { describe, expect, test } from "../support/test.ts";
import {
  STEP_STATES,
  TASK_STATES,
  stepTransitionAllowed,
  taskTransitionAllowed,
} from "../../src/orchestration/stateMachine.ts";

const db = useTestDatabase(import.meta.file);

describe("state machines", () => {
  test("typescript_and_sql_task_transition_tables_agree_for_every_pair", async () => {
    const rows = await db.sql<{ from_state: string; to_state: string; allowed: boolean }[]>`
      SELECT f AS from_state, t AS to_state, tasker.task_transition_allowed(f, t) AS allowed
        FROM unnest(${TASK_STATES}::text[]) f, unnest(${TASK_STATES}::text[]) t`;
    expect(rows.length).toBe(144);
    const mismatches = rows.filter(
      (r) => r.allowed !== taskTransitionAllowed(r.from_state as never, r.to_state as never),
    );
    expect(mismatches).toEqual([]);
  });

  test("typescript_and_sql_step_transition_tables_agree_for_every_pair", async () => {
    const rows = await db.sql<{ from_state: string; to_state: string; allowed: boolean }[]>`
      SELECT f AS from_state, t AS to_state, tasker.step_transition_allowed(f, t) AS allowed
        FROM unnest(${STEP_STATES}::text[]) f, unnest(${STEP_STATES}::text[]) t`;
    expect(rows.length).toBe(100);
    const mismatches = rows.filter(
      (r) => r.allowed !== stepTransitionAllowed(r.from_state as never, r.to_state as never),
    );
    expect(mismatches).toEqual([]);
  });

  test("terminal_states_are_never_left", () => {
    for (const to of TASK_STATES) {
      for (const from of ["complete", "error", "cancelled", "resolved_manually"] as const) {
        expect(taskTransitionAllowed(from, to)).toBe(false);
      }
    }
    for (const to of STEP_STATES) {
      for (const from of ["complete", "cancelled", "resolved_manually"] as const) {
        expect(stepTransitionAllowed(from, to)).toBe(false);
      }
    }
  });

  test("a_disallowed_transition_raises_TK001_and_changes_nothing", async () => {
    const [ns] = await db.sql<{ id: string }[]>`
      INSERT INTO tasker.task_namespaces (name) VALUES ('sm_test') RETURNING task_namespace_uuid AS id`;
    const [nt] = await db.sql<{ id: string }[]>`
      INSERT INTO tasker.named_tasks (task_namespace_uuid, name, version, configuration)
      VALUES (${ns!.id}, 'sm', '1.0.0', '{"steps":[]}') RETURNING named_task_uuid AS id`;
    const [task] = await db.sql<{ id: string }[]>`
      INSERT INTO tasker.tasks (named_task_uuid, identity_hash, correlation_id)
      VALUES (${nt!.id}, 'sm-1', tasker.uuid_generate_v7()) RETURNING task_uuid AS id`;
    const error = await db.sql`
      SELECT tasker.transition_task_state(${task!.id}::uuid, ARRAY['pending'], 'complete', 'bogus')`.catch((e: unknown) => e);
    expect((error as { code: string }).code).toBe("TK001");
    const moved = await db.sql<{ from: string | null }[]>`
      SELECT tasker.transition_task_state(${task!.id}::uuid, ARRAY['initializing'], 'enqueuing_steps', 'x') AS "from"`;
    expect(moved[0]?.from).toBeNull();
    const [row] = await db.sql<{ state: string }[]>`SELECT state FROM tasker.tasks WHERE task_uuid = ${task!.id}::uuid`;
    expect(row?.state).toBe("pending");
  });
});
