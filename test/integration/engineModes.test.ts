import { createQueueClient } from "../../src/queue/queueClient.ts";
import { useTestDatabase } from "../support/database.ts";
import { startTestEngine, stepRows, taskState } from "../support/engine.ts";
import { waitFor } from "../support/waitFor.ts";
import { describe, expect, test } from "../support/test.ts";

const db = useTestDatabase(import.meta.file);

const completes = async (sql: typeof db.sql, taskUuid: string): Promise<void> => {
  await waitFor(async () => (await taskState(sql, taskUuid)) === "complete", {
    timeoutMs: 20_000,
    description: `task ${taskUuid} to complete`,
  });
};

describe("queue modes", () => {
  for (const mode of ["event", "polling"] as const) {
    test(`a_diamond_completes_in_${mode}_mode`, async () => {
      const engine = await startTestEngine({ sql: db.sql, url: db.url, mode, namespaces: ["diamond_workflow"] });
      try {
        const created = await engine.orchestration.createTask({
          namespace: "diamond_workflow",
          name: "parallel_computation",
          version: "1.0.0",
          context: { even_number: mode === "event" ? 4 : 8 },
        });
        await completes(db.sql, created.taskUuid);
        const end = (await stepRows(db.sql, created.taskUuid)).find((s) => s.name === "diamond_end");
        const n = mode === "event" ? 4 : 8;
        expect((end?.results?.result as { value: number }).value).toBe((n * n + 25 + n * n * 2) / 2);
      } finally {
        await engine.stop();
      }
    });
  }
});

describe("orchestration_task_requests", () => {
  test("a_task_request_message_creates_the_task_and_a_bad_one_is_archived", async () => {
    const engine = await startTestEngine({ sql: db.sql, url: db.url, namespaces: ["linear_workflow"] });
    try {
      const queues = createQueueClient(db.sql);
      await queues.sendWithNotify("orchestration_task_requests", {
        request_id: "r-1",
        task_request: {
          namespace: "linear_workflow",
          name: "mathematical_sequence",
          version: "1.0.0",
          context: { even_number: 12 },
          correlation_id: "01a20000-0000-7000-8000-0000000000c1",
        },
        metadata: { requester: "test" },
      });
      const badId = await queues.sendWithNotify("orchestration_task_requests", {
        request_id: "r-2",
        task_request: { namespace: "linear_workflow", name: "nope", version: "1.0.0" },
      });
      const [task] = await waitFor(
        async () => {
          const rows = await db.sql<{ task_uuid: string }[]>`
            SELECT task_uuid FROM tasker.tasks WHERE correlation_id = '01a20000-0000-7000-8000-0000000000c1'`;
          return rows.length > 0 ? rows : undefined;
        },
        { timeoutMs: 10_000, description: "the requested task to exist" },
      );
      await completes(db.sql, task!.task_uuid);
      const archived = await waitFor(
        async () => {
          const rows = await db.sql<{ msg_id: string }[]>`
            SELECT msg_id FROM pgmq.a_orchestration_task_requests WHERE msg_id = ${badId}::bigint`;
          return rows.length > 0;
        },
        { timeoutMs: 10_000, description: "the bad request to be archived" },
      );
      expect(archived).toBe(true);
      expect(engine.logs.some((l) => l["msg"] === "archived a task request that cannot be created")).toBe(true);
    } finally {
      await engine.stop();
    }
  });
});
