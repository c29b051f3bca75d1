import { describe, expect, test } from "bun:test";
import { BackpressureError, createBackpressureGate } from "../../../src/orchestration/backpressureGate.ts";
import type { QueueClient } from "../../../src/queue/queueClient.ts";
import { QueueNotFoundError } from "../../../src/queue/queueNotFoundError.ts";
import { silentLogger } from "../../../src/telemetry/logger.ts";

type QueueMetrics = Awaited<ReturnType<QueueClient["metrics"]>>;

/** A queue client whose metrics() answers from a table of depths and counts its calls. */
function fakeQueues(depths: Record<string, number>): { queues: QueueClient; calls: string[] } {
  const calls: string[] = [];
  const queues = {
    metrics: async (queue: string): Promise<QueueMetrics> => {
      calls.push(queue);
      await Promise.resolve();
      const depth = depths[queue];
      if (depth === undefined) throw new QueueNotFoundError(queue);
      return { queueName: queue, queueLength: depth } as QueueMetrics;
    },
  } as unknown as QueueClient;
  return { queues, calls };
}

const settings = { maxDepth: 10, measureIntervalMs: 60_000, retryAfterSeconds: 3 };

describe("backpressure gate", () => {
  test("refuses_when_the_namespace_queue_or_the_results_queue_is_deeper_than_the_limit", async () => {
    const deepWorker = createBackpressureGate(fakeQueues({ worker_a_queue: 11, orchestration_step_results: 0 }).queues, settings, silentLogger);
    const error = await deepWorker.admit("a").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackpressureError);
    expect((error as BackpressureError).retryAfterSeconds).toBe(3);
    expect((error as BackpressureError).details?.["retry_after_seconds"]).toBe(3);

    const deepResults = createBackpressureGate(fakeQueues({ worker_a_queue: 0, orchestration_step_results: 11 }).queues, settings, silentLogger);
    expect(await deepResults.admit("a").catch((e: unknown) => (e as Error).message)).toContain("orchestration_step_results");

    const atLimit = createBackpressureGate(fakeQueues({ worker_a_queue: 10, orchestration_step_results: 10 }).queues, settings, silentLogger);
    await atLimit.admit("a");
  });

  test("measures_each_queue_once_per_interval_even_under_concurrent_requests", async () => {
    const { queues, calls } = fakeQueues({ worker_a_queue: 1, orchestration_step_results: 1 });
    const gate = createBackpressureGate(queues, settings, silentLogger);
    await Promise.all(Array.from({ length: 100 }, () => gate.admit("a")));
    expect(calls.sort()).toEqual(["orchestration_step_results", "worker_a_queue"]);
  });

  test("an_unknown_namespace_queue_is_admitted_so_task_creation_can_answer_404", async () => {
    const gate = createBackpressureGate(fakeQueues({ orchestration_step_results: 0 }).queues, settings, silentLogger);
    await gate.admit("never_registered");
  });

  test("a_limit_of_zero_measures_nothing", async () => {
    const { queues, calls } = fakeQueues({ worker_a_queue: 1_000_000, orchestration_step_results: 1_000_000 });
    await createBackpressureGate(queues, { ...settings, maxDepth: 0 }, silentLogger).admit("a");
    expect(calls).toEqual([]);
  });

});
