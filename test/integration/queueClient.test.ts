/**
 * The queue client against every PGMQ provider this server offers: the built-in
 * layer always, the real pgmq extension too where pg_available_extensions lists it.
 */
import postgres, { type Sql } from "postgres";
import { migrate } from "../../src/db/migrator.ts";
import { MIGRATIONS } from "../../src/db/migrations.ts";
import { ValidationError } from "../../src/lib/errors.ts";
import { createQueueClient, type QueueClient } from "../../src/queue/queueClient.ts";
import { QueueNotFoundError } from "../../src/queue/queueNotFoundError.ts";
import { silentLogger } from "../../src/telemetry/logger.ts";
import { createEmptyDatabase, testServer } from "../support/database.ts";
import { testOutcomes } from "../support/testOutcomes.ts";
import { afterAll, beforeAll, describe, expect, test } from "../support/test.ts";
import { waitFor } from "../support/waitFor.ts";

/** The error a promise rejects with; fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}

interface Provider {
  name: string;
  /** Leave out 0002 so the built-in layer is installed even where the extension exists. */
  forceBuiltin: boolean;
  expectExtension: boolean;
}

async function extensionAvailable(): Promise<boolean> {
  const admin = postgres((await testServer()).adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await admin<{ present: boolean }[]>`
      SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgmq') AS present`;
    return row?.present === true;
  } finally {
    await admin.end({ timeout: 5 });
  }
}

const providers: Provider[] = [{ name: "built-in layer", forceBuiltin: true, expectExtension: false }];
if (await extensionAvailable()) {
  providers.push({ name: "pgmq extension", forceBuiltin: false, expectExtension: true });
}

/** A database of its own per provider, dropped after its tests unless one failed. */
function useProviderDatabase(provider: Provider): () => Sql {
  let db: Awaited<ReturnType<typeof createEmptyDatabase>> | undefined;
  let sql: Sql | undefined;
  const mark = testOutcomes.mark();
  beforeAll(async () => {
    db = await createEmptyDatabase(`queue_client_${provider.forceBuiltin ? "builtin" : "ext"}`);
    sql = postgres(db.url, { max: 10, onnotice: () => {} });
    const migrations = provider.forceBuiltin ? MIGRATIONS.filter((m) => m.name !== "0002_pgmq_extension.sql") : MIGRATIONS;
    await migrate(sql, { logger: silentLogger, migrations });
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    if (!db) return;
    if (testOutcomes.allPassedSince(mark)) await db.drop();
    else process.stderr.write(`kept database ${db.name} of a failed test for inspection: ${db.url}\n`);
  });
  return () => {
    if (!sql) throw new Error("the database is created in beforeAll");
    return sql;
  };
}

let counter = 0;
const uniqueQueue = (label: string): string => `${label}_${++counter}`;
const byId = (a: string, b: string): number => Number(BigInt(a) - BigInt(b));

test("invalid_queue_names_are_rejected_before_any_sql_runs", async () => {
  let queries = 0;
  const countingSql = (() => {
    queries += 1;
    throw new Error("SQL must not run for an invalid queue name");
  }) as unknown as Sql;
  Object.assign(countingSql, { array: (values: unknown[]) => values });
  const queues = createQueueClient(countingSql);
  const bad = [
    "",
    "Upper",
    "has-dash",
    "x; DROP TABLE pgmq.meta; --",
    "q' OR '1'='1",
    'quote"name',
    "a$b",
    "9starts_with_digit",
    "x".repeat(48),
  ];
  for (const name of bad) {
    expect(await rejection(queues.create(name))).toBeInstanceOf(ValidationError);
    expect(await rejection(queues.send(name, {}))).toBeInstanceOf(ValidationError);
    expect(await rejection(queues.sendWithNotify(name, {}))).toBeInstanceOf(ValidationError);
    expect(await rejection(queues.sendBatch(name, [{}]))).toBeInstanceOf(ValidationError);
    expect(await rejection(queues.read(name))).toBeInstanceOf(ValidationError);
    expect(await rejection(queues.readSpecific(name, "1"))).toBeInstanceOf(ValidationError);
    expect(await rejection(queues.archive(name, ["1"]))).toBeInstanceOf(ValidationError);
    expect(await rejection(queues.delete(name, "1"))).toBeInstanceOf(ValidationError);
    expect(await rejection(queues.setVisibilityTimeout(name, "1", 0))).toBeInstanceOf(ValidationError);
    expect(await rejection(queues.pop(name))).toBeInstanceOf(ValidationError);
    expect(await rejection(queues.metrics(name))).toBeInstanceOf(ValidationError);
    expect(await rejection(queues.purge(name))).toBeInstanceOf(ValidationError);
    expect(await rejection(queues.drop(name))).toBeInstanceOf(ValidationError);
  }
  expect(await rejection(queues.read("ok", { quantity: 0 }))).toBeInstanceOf(ValidationError);
  expect(await rejection(queues.send("ok", {}, { delaySeconds: -1 }))).toBeInstanceOf(ValidationError);
  expect(await rejection(queues.delete("ok", "1; DROP"))).toBeInstanceOf(ValidationError);
  expect(await rejection(queues.send("ok", undefined))).toBeInstanceOf(ValidationError);
  expect(queries).toBe(0);
});

describe.each(providers)("queue client on the $name", (provider) => {
  const sql = useProviderDatabase(provider);
  let queues: QueueClient;
  beforeAll(() => {
    queues = createQueueClient(sql());
  });

  test("runs_on_the_expected_provider", async () => {
    const [row] = await sql()<{ installed: boolean }[]>`
      SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgmq') AS installed`;
    expect(row?.installed).toBe(provider.expectExtension);
  });

  test("creating_a_queue_twice_is_a_no_op", async () => {
    const q = uniqueQueue("twice");
    await queues.create(q);
    await queues.create(q);
    const listed = (await queues.listQueues()).filter((info) => info.queueName === q);
    expect(listed).toHaveLength(1);
    expect(listed[0]?.isPartitioned).toBe(false);
    expect(listed[0]?.createdAt).toBeInstanceOf(Date);
  });

  test("concurrent_creates_of_one_queue_all_succeed", async () => {
    const q = uniqueQueue("race");
    await Promise.all(Array.from({ length: 6 }, () => queues.create(q)));
    expect((await queues.listQueues()).filter((info) => info.queueName === q)).toHaveLength(1);
  });

  test("a_read_message_stays_invisible_for_its_visibility_timeout", async () => {
    const q = uniqueQueue("vt");
    await queues.create(q);
    const id = await queues.send(q, { task_uuid: "t-1", n: 1 });
    expect(id).toMatch(/^\d+$/);

    const [first] = await queues.read<{ task_uuid: string; n: number }>(q, { visibilityTimeoutSeconds: 30 });
    expect(first?.msgId).toBe(id);
    expect(first?.readCount).toBe(1);
    expect(first?.message).toEqual({ task_uuid: "t-1", n: 1 });
    expect(first?.headers).toBeNull();
    expect(first?.enqueuedAt).toBeInstanceOf(Date);
    expect(first?.visibleAt.getTime()).toBeGreaterThan(Date.now() + 20_000);

    expect(await queues.read(q, { quantity: 10 })).toEqual([]);
  });

  test("a_message_becomes_visible_again_when_its_visibility_timeout_expires", async () => {
    const q = uniqueQueue("expire");
    await queues.create(q);
    const id = await queues.send(q, { n: 1 });
    expect(await queues.read(q, { visibilityTimeoutSeconds: 1 })).toHaveLength(1);
    expect(await queues.read(q)).toEqual([]);
    const again = await waitFor(async () => (await queues.read(q))[0], {
      timeoutMs: 5_000,
      intervalMs: 100,
      description: "the message to reappear",
    });
    expect(again.msgId).toBe(id);
    expect(again.readCount).toBe(2);
  });

  test("set_vt_zero_makes_a_claimed_message_visible_immediately", async () => {
    const q = uniqueQueue("setvt");
    await queues.create(q);
    const id = await queues.send(q, "plain string message");
    await queues.read(q, { visibilityTimeoutSeconds: 300 });
    const updated = await queues.setVisibilityTimeout<string>(q, id, 0);
    expect(updated?.msgId).toBe(id);
    expect(updated?.message).toBe("plain string message");
    const [again] = await queues.read<string>(q);
    expect(again?.msgId).toBe(id);

    const extended = await queues.setVisibilityTimeout(q, id, 120);
    expect(extended?.visibleAt.getTime()).toBeGreaterThan(Date.now() + 100_000);
    expect(await queues.setVisibilityTimeout(q, "999999", 0)).toBeNull();
  });

  test("a_delayed_message_is_invisible_until_its_delay_passes", async () => {
    const q = uniqueQueue("delay");
    await queues.create(q);
    const id = await queues.send(q, { later: true }, { delaySeconds: 1 });
    expect(await queues.read(q)).toEqual([]);
    const seen = await waitFor(async () => (await queues.read(q))[0], { timeoutMs: 5_000, intervalMs: 100 });
    expect(seen.msgId).toBe(id);
  });

  test("headers_round_trip_through_send_and_read", async () => {
    const q = uniqueQueue("headers");
    await queues.create(q);
    await queues.send(q, { a: 1 }, { headers: { correlation_id: "c-1", attempt: 2 } });
    const [message] = await queues.read(q);
    expect(message?.headers).toEqual({ correlation_id: "c-1", attempt: 2 });
  });

  test("archive_moves_one_or_many_messages_to_the_archive_table", async () => {
    const q = uniqueQueue("archive");
    await queues.create(q);
    const [a, b, c] = await queues.sendBatch(q, [{ i: 1 }, { i: 2 }, { i: 3 }]);
    if (!a || !b || !c) throw new Error("expected three ids");
    expect(await queues.archive(q, a)).toBe(true);
    expect(await queues.archive(q, a)).toBe(false);
    expect(await queues.archive(q, [b, c, "987654"])).toEqual([b, c]);
    expect(await queues.read(q, { quantity: 10 })).toEqual([]);
    const archived = await sql().unsafe<{ msg_id: string }[]>(`SELECT msg_id FROM pgmq."a_${q}" ORDER BY msg_id`);
    expect(archived.map((row) => String(row.msg_id))).toEqual([a, b, c]);
  });

  test("delete_removes_one_or_many_messages", async () => {
    const q = uniqueQueue("delete");
    await queues.create(q);
    const [first, ...rest] = await queues.sendBatch(q, [1, 2, 3, 4]);
    if (!first) throw new Error("expected ids");
    expect(await queues.delete(q, first)).toBe(true);
    expect(await queues.delete(q, first)).toBe(false);
    expect(await queues.delete(q, rest)).toEqual(rest);
    expect((await queues.metrics(q)).queueLength).toBe(0);
  });

  test("send_batch_returns_ids_in_message_order_with_per_message_headers", async () => {
    const q = uniqueQueue("batch");
    await queues.create(q);
    const messages = [{ n: 1 }, ["an", "array"], "text", 42];
    const ids = await queues.sendBatch(q, messages, { headers: [{ h: 1 }, null, { h: 3 }, null] });
    expect(ids).toHaveLength(4);
    expect([...ids].sort(byId)).toEqual(ids);
    const read = await queues.read(q, { quantity: 10 });
    expect(read.map((m) => m.msgId)).toEqual(ids);
    expect(read.map((m) => m.message)).toEqual(messages);
    expect(read.map((m) => m.headers)).toEqual([{ h: 1 }, null, { h: 3 }, null]);
  });

  test("send_batch_rejects_an_empty_batch_and_mismatched_headers", async () => {
    const q = uniqueQueue("batchbad");
    expect(await rejection(queues.sendBatch(q, [{}], { headers: [] }))).toBeInstanceOf(ValidationError);
    expect(await rejection(queues.sendBatch(q, []))).toBeInstanceOf(ValidationError);
  });

  test("pop_returns_and_deletes_the_oldest_visible_messages", async () => {
    const q = uniqueQueue("pop");
    await queues.create(q);
    const [a, b] = await queues.sendBatch(q, [{ i: 1 }, { i: 2 }, { i: 3 }]);
    const [popped] = await queues.pop(q);
    expect(popped?.msgId).toBe(a as string);
    const more = await queues.pop(q, 1);
    expect(more.map((m) => m.msgId)).toEqual([b as string]);
    expect((await queues.metrics(q)).queueLength).toBe(1);
  });

  test("metrics_count_visible_and_total_messages", async () => {
    const q = uniqueQueue("metrics");
    await queues.create(q);
    await queues.sendBatch(q, [1, 2, 3]);
    await queues.read(q, { quantity: 1 });
    const metrics = await queues.metrics(q);
    expect(metrics.queueName).toBe(q);
    expect(metrics.queueLength).toBe(3);
    expect(metrics.queueVisibleLength).toBe(2);
    expect(metrics.totalMessages).toBe(3);
    expect(metrics.oldestMessageAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(metrics.scrapeTime).toBeInstanceOf(Date);

    const all = await queues.metricsAll();
    expect(all.find((m) => m.queueName === q)?.queueLength).toBe(3);
  });

  test("purge_deletes_every_message_and_reports_how_many", async () => {
    const q = uniqueQueue("purge");
    await queues.create(q);
    await queues.sendBatch(q, [1, 2, 3]);
    expect(await queues.purge(q)).toBe(3);
    expect((await queues.metrics(q)).queueLength).toBe(0);
  });

  test("drop_removes_the_queue_and_later_operations_report_queue_not_found", async () => {
    const q = uniqueQueue("drop");
    await queues.create(q);
    expect(await queues.drop(q)).toBe(true);
    expect((await queues.listQueues()).some((info) => info.queueName === q)).toBe(false);
    expect(await rejection(queues.send(q, {}))).toBeInstanceOf(QueueNotFoundError);
    expect(await rejection(queues.read(q))).toBeInstanceOf(QueueNotFoundError);
  });

  test("queue_names_with_sql_characters_are_rejected_by_the_sql_functions_too", async () => {
    if (provider.expectExtension) return; // pgmq's own validation is more lenient (documented)
    expect(await rejection(sql()`SELECT pgmq.create(${"x; DROP TABLE pgmq.meta; --"}::text)`)).toMatchObject({
      code: "22023",
    });
    expect(await rejection(sql()`SELECT pgmq.send(${'a"b'}::text, ${"{}"}::text::jsonb)`)).toMatchObject({
      code: "22023",
    });
  });

  test("concurrent_readers_never_receive_the_same_message", async () => {
    const q = uniqueQueue("skiplocked");
    await queues.create(q);
    const sent = await queues.sendBatch(q, Array.from({ length: 60 }, (_, i) => ({ i })));
    const results = await Promise.all(
      Array.from({ length: 6 }, () => queues.read(q, { quantity: 15, visibilityTimeoutSeconds: 60 })),
    );
    const concurrent = results.flat().map((m) => m.msgId);
    expect(new Set(concurrent).size).toBe(concurrent.length);
    // A reader may come back short when rows it skipped were claimed meanwhile; the rest is still there.
    const rest = (await queues.read(q, { quantity: 100 })).map((m) => m.msgId);
    expect([...concurrent, ...rest].sort(byId)).toEqual(sent);
  });

  test("read_with_a_condition_only_claims_matching_messages", async () => {
    const q = uniqueQueue("cond");
    await queues.create(q);
    await queues.sendBatch(q, [{ kind: "a" }, { kind: "b" }, { kind: "a" }]);
    const read = await queues.read<{ kind: string }>(q, { quantity: 10, conditional: { kind: "b" } });
    expect(read.map((m) => m.message.kind)).toEqual(["b"]);
  });
});
