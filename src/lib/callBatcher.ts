/**
 * Coalesces concurrent calls into batches without waiting for a batch to fill: a call made
 * while fewer than `maxInFlight` batches are in flight is sent at once (alone, through
 * `single`); calls made while all are in flight queue up and go together, up to `maxBatch`, as
 * soon as one returns (through `many`). An idle system therefore pays no added latency, and a busy one makes one round
 * trip for many calls (graphile-worker's completeJobBatchDelay = 0, pgflow's batched start).
 *
 * A failed batch rejects every call in it with the same error; callers retry on their own.
 */
export interface CallBatcher<I, O> {
  call(item: I): Promise<O>;
  /** Calls queued and not yet sent, for tests and metrics. */
  pending(): number;
}

export interface CallBatcherOptions<I, O> {
  /** Most items in one batch; 1 sends every call alone. */
  maxBatch: number;
  /** Batches sent at once before calls wait (default 1); unlimited when maxBatch is 1. */
  maxInFlight?: number;
  single(item: I): Promise<O>;
  /** Answers in the order of `items`. */
  many(items: I[]): Promise<O[]>;
  /** Sizes of the batches sent (at least 1), e.g. for a histogram. */
  onBatch?(size: number): void;
}

interface Queued<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

export function createCallBatcher<I, O>(options: CallBatcherOptions<I, O>): CallBatcher<I, O> {
  if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1) {
    throw new RangeError(`maxBatch must be a positive integer, got ${options.maxBatch}`);
  }
  if (options.maxInFlight !== undefined && (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 1)) {
    throw new RangeError(`maxInFlight must be a positive integer, got ${options.maxInFlight}`);
  }
  const queue: Array<Queued<I, O>> = [];
  let inFlight = 0;
  const maxInFlight = options.maxBatch === 1 ? Number.POSITIVE_INFINITY : (options.maxInFlight ?? 1);

  const send = async (batch: Array<Queued<I, O>>): Promise<void> => {
    options.onBatch?.(batch.length);
    try {
      if (batch.length === 1) {
        batch[0]!.resolve(await options.single(batch[0]!.item));
        return;
      }
      const answers = await options.many(batch.map((q) => q.item));
      if (answers.length !== batch.length) throw new Error(`batch of ${batch.length} answered ${answers.length} results`);
      batch.forEach((q, i) => q.resolve(answers[i]!));
    } catch (error) {
      for (const q of batch) q.reject(error);
    }
  };

  const pump = (): void => {
    while (queue.length > 0 && inFlight < maxInFlight) {
      const batch = queue.splice(0, options.maxBatch);
      inFlight += 1;
      void send(batch).finally(() => {
        inFlight -= 1;
        pump();
      });
    }
  };

  return {
    call(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        pump();
      });
    },
    pending: () => queue.length,
  };
}
