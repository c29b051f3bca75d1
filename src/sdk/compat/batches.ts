import type { StepContext } from "./compatStepContext.ts";
import { StepHandler } from "./stepHandler.ts";
import { StepHandlerResult } from "./stepHandlerResult.ts";
import { isRecord } from "../../lib/isRecord.ts";

/** One worker's share of the items, as tasker-core's `createCursorConfigs` describes it. */
export interface BatchWorkerConfig {
  batch_id: string;
  cursor_start: number;
  cursor_end: number;
  row_count: number;
  worker_index: number;
  total_workers: number;
}

/** A cursor range (`createCursorRanges`). */
export interface CursorConfig {
  startCursor: number;
  endCursor: number;
  stepSize: number;
  metadata: Record<string, unknown>;
}

/** What a batch step knows about its batch (`getBatchContext`). */
export interface BatchWorkerContext {
  batchId: string;
  startCursor: number;
  endCursor: number;
  stepSize: number;
  batchSize: number;
  cursorField: string | null;
  failureStrategy: string | null;
  batchMetadata: Record<string, unknown>;
  isNoOp: boolean;
  /** Where the last checkpoint left off, or null: resume from here instead of `startCursor`. */
  checkpointCursor: unknown;
  itemsProcessed: number;
  /** What the last checkpoint accumulated (a fresh copy), or null. */
  accumulatedResults: Record<string, unknown> | null;
}

/** Whether the aggregator runs after batches or after a `no_batches` analyzer. */
export interface BatchAggregationScenario {
  isNoBatches: boolean;
  batchableResult: Record<string, unknown>;
  batchResults: Record<string, Record<string, unknown>>;
  workerCount: number;
}

const asNumber = (value: unknown, fallback: number): number => (typeof value === "number" && Number.isFinite(value) ? value : fallback);

/** `total` items split over `workers` ranges of ceil(total / workers): ids 001, 002, ... */
export function createCursorConfigs(totalItems: number, workerCount: number): BatchWorkerConfig[] {
  if (workerCount <= 0) throw new Error("workerCount must be > 0");
  if (totalItems <= 0) return [];
  const perWorker = Math.ceil(totalItems / workerCount);
  const configs: BatchWorkerConfig[] = [];
  for (let i = 0; i < workerCount && i * perWorker < totalItems; i += 1) {
    const start = i * perWorker;
    const end = Math.min(start + perWorker, totalItems);
    configs.push({ batch_id: String(i + 1).padStart(3, "0"), cursor_start: start, cursor_end: end, row_count: end - start, worker_index: i, total_workers: workerCount });
  }
  return configs;
}

/** `total` items in ranges of `batchSize` (widened so there are at most `maxBatches`). */
export function createCursorRanges(totalItems: number, batchSize: number, stepSize = 1, maxBatches?: number): CursorConfig[] {
  if (totalItems <= 0) return [];
  if (batchSize <= 0) throw new Error("batchSize must be > 0");
  const size = maxBatches && maxBatches > 0 && Math.ceil(totalItems / batchSize) > maxBatches ? Math.ceil(totalItems / maxBatches) : batchSize;
  const ranges: CursorConfig[] = [];
  for (let start = 0; start < totalItems; start += size) {
    ranges.push({ startCursor: start, endCursor: Math.min(start + size, totalItems), stepSize, metadata: {} });
  }
  return ranges;
}

/** An analyzer's result creating one batch step per config of the `workerTemplate` batch_worker step. */
export function batchSuccessResult(workerTemplate: string | null, configs: readonly BatchWorkerConfig[], metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    batch_processing_outcome: {
      type: "create_batches",
      ...(workerTemplate === null ? {} : { worker_template_name: workerTemplate }),
      worker_count: configs.length,
      cursor_configs: configs.map((c) => ({ batch_id: c.batch_id, start_cursor: c.cursor_start, end_cursor: c.cursor_end, batch_size: c.row_count })),
      total_items: configs.reduce((sum, c) => sum + c.row_count, 0),
    },
    ...metadata,
  };
}

/** An analyzer's result when there is nothing to process. */
export function noBatchesOutcome(reason: string, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return { batch_processing_outcome: { type: "no_batches" }, ...metadata, reason };
}

/** The batch a step was made for, from its inputs (`cursor`, `batch_metadata`, `is_no_op`) and its checkpoint. */
export function batchContextOf(context: StepContext): BatchWorkerContext | null {
  const inputs = context.stepInputs;
  if (!isRecord(inputs["cursor"])) return null;
  const cursor = inputs["cursor"];
  const meta = isRecord(inputs["batch_metadata"]) ? inputs["batch_metadata"] : {};
  const start = asNumber(cursor["start_cursor"], 0);
  const end = asNumber(cursor["end_cursor"], start);
  return {
    batchId: typeof cursor["batch_id"] === "string" || typeof cursor["batch_id"] === "number" ? String(cursor["batch_id"]) : "",
    startCursor: start,
    endCursor: end,
    stepSize: asNumber(cursor["step_size"], 1),
    batchSize: asNumber(cursor["batch_size"], end - start),
    cursorField: typeof meta["cursor_field"] === "string" ? meta["cursor_field"] : null,
    failureStrategy: typeof meta["failure_strategy"] === "string" ? meta["failure_strategy"] : null,
    batchMetadata: meta,
    isNoOp: inputs["is_no_op"] === true,
    checkpointCursor: context.hasCheckpoint() ? context.checkpointCursor : null,
    itemsProcessed: context.checkpointItemsProcessed,
    accumulatedResults: context.accumulatedResults,
  };
}

/** The success a placeholder batch step (`is_no_op`) returns at once, or null for a real batch. */
export function noOpWorkerResult(context: StepContext): StepHandlerResult | null {
  if (context.stepInputs["is_no_op"] !== true) return null;
  const cursor = isRecord(context.stepInputs["cursor"]) ? context.stepInputs["cursor"] : {};
  return StepHandlerResult.success({
    batch_id: cursor["batch_id"] ?? "no_op",
    no_op: true,
    processed_count: 0,
    message: "No batches to process",
    processed_at: new Date().toISOString(),
  });
}

/** Saves `cursor` (and what was accumulated) and runs the step again in the same attempt. */
export function checkpointYieldResult(cursor: unknown, itemsProcessed: number, accumulatedResults?: Record<string, unknown>): StepHandlerResult {
  return StepHandlerResult.success(
    { type: "checkpoint_yield", cursor, items_processed: itemsProcessed, ...(accumulatedResults === undefined ? {} : { accumulated_results: accumulatedResults }) },
    { checkpoint_yield: true, batch_worker: true },
  );
}

/** Whether the aggregator follows batches or a `no_batches` analyzer, and every batch step's result. */
export function detectAggregationScenario(
  dependencyResults: Record<string, unknown>,
  batchableStepName: string,
  batchWorkerPrefix: string,
): BatchAggregationScenario {
  const unwrap = (entry: unknown): Record<string, unknown> => {
    if (!isRecord(entry)) return {};
    return isRecord(entry["result"]) ? entry["result"] : entry;
  };
  const analyzer = dependencyResults[batchableStepName];
  if (analyzer === undefined || analyzer === null) throw new Error(`Missing batchable step dependency: ${batchableStepName}`);
  const batchableResult = unwrap(analyzer);
  const outcome = batchableResult["batch_processing_outcome"];
  if (isRecord(outcome) && outcome["type"] === "no_batches") {
    return { isNoBatches: true, batchableResult, batchResults: {}, workerCount: 0 };
  }
  const batchResults: Record<string, Record<string, unknown>> = {};
  for (const [name, entry] of Object.entries(dependencyResults)) if (name.startsWith(batchWorkerPrefix)) batchResults[name] = unwrap(entry);
  if (Object.keys(batchResults).length === 0) {
    throw new Error(`No batch steps found with prefix '${batchWorkerPrefix}', and ${batchableStepName} did not return no_batches`);
  }
  return { isNoBatches: false, batchableResult, batchResults, workerCount: Object.keys(batchResults).length };
}

/**
 * tasker-core's `BatchableStepHandler`: analyzer, batch-step and aggregator helpers for the three
 * roles of a batch (`type: batchable`, `batch_worker`, the `deferred_convergence` aggregator).
 */
export abstract class BatchableStepHandler extends StepHandler {
  protected createCursorConfigs(totalItems: number, workerCount: number): BatchWorkerConfig[] {
    return createCursorConfigs(totalItems, workerCount);
  }

  protected createCursorRanges(totalItems: number, batchSize: number, stepSize = 1, maxBatches?: number): CursorConfig[] {
    return createCursorRanges(totalItems, batchSize, stepSize, maxBatches);
  }

  /**
   * `batchSuccess(workerTemplate, configs, metadata?)`; the package's earlier
   * `batchSuccess(configs, metadata?)` leaves the template out: the one batch_worker step that
   * depends on this analyzer is meant.
   */
  protected batchSuccess(workerTemplate: string, configs: BatchWorkerConfig[], metadata?: Record<string, unknown>): StepHandlerResult;
  protected batchSuccess(configs: BatchWorkerConfig[], metadata?: Record<string, unknown>): StepHandlerResult;
  protected batchSuccess(
    first: string | BatchWorkerConfig[],
    second?: BatchWorkerConfig[] | Record<string, unknown>,
    third: Record<string, unknown> = {},
  ): StepHandlerResult {
    if (Array.isArray(first)) return StepHandlerResult.success(batchSuccessResult(null, first, (second as Record<string, unknown> | undefined) ?? {}));
    return StepHandlerResult.success(batchSuccessResult(first, (second as BatchWorkerConfig[] | undefined) ?? [], third));
  }

  protected noBatchesResult(reason: string, metadata: Record<string, unknown> = {}): StepHandlerResult {
    return StepHandlerResult.success(noBatchesOutcome(reason, metadata));
  }

  protected getBatchContext(context: StepContext): BatchWorkerContext | null {
    return batchContextOf(context);
  }

  protected getBatchWorkerInputs(context: StepContext): Record<string, unknown> | null {
    return Object.keys(context.stepInputs).length === 0 ? null : context.stepInputs;
  }

  protected handleNoOpWorker(context: StepContext): StepHandlerResult | null {
    return noOpWorkerResult(context);
  }

  protected checkpointYield(cursor: unknown, itemsProcessed: number, accumulatedResults?: Record<string, unknown>): StepHandlerResult {
    return checkpointYieldResult(cursor, itemsProcessed, accumulatedResults);
  }

  protected detectAggregationScenario(
    dependencyResults: Record<string, unknown>,
    batchableStepName: string,
    batchWorkerPrefix: string,
  ): BatchAggregationScenario {
    return detectAggregationScenario(dependencyResults, batchableStepName, batchWorkerPrefix);
  }

  protected noBatchesAggregationResult(zeroMetrics: Record<string, unknown> = {}): StepHandlerResult {
    return StepHandlerResult.success({ worker_count: 0, scenario: "no_batches", ...zeroMetrics });
  }

  protected aggregateBatchWorkerResults(
    scenario: BatchAggregationScenario,
    zeroMetrics: Record<string, unknown> = {},
    aggregate?: (batchResults: Record<string, Record<string, unknown>>) => Record<string, unknown>,
  ): StepHandlerResult {
    if (scenario.isNoBatches) return this.noBatchesAggregationResult(zeroMetrics);
    const aggregated = aggregate ? aggregate(scenario.batchResults) : { batch_results: scenario.batchResults };
    return StepHandlerResult.success({ ...aggregated, worker_count: scenario.workerCount, scenario: "with_batches" });
  }
}
