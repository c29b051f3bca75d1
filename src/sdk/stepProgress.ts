import { findNonJson } from "../lib/jsonResult.ts";

/** A step's saved progress, as the next execution sees it on `ctx.step.checkpoint` (a fresh copy). */
export interface StepCheckpoint {
  /** Where the handler was: a row number, a key, a page token (any JSON). */
  readonly cursor: unknown;
  /** How many items were done up to the cursor, when the handler said. */
  readonly itemsProcessed: number | null;
  /** What the handler had accumulated up to the cursor (any JSON), or null. */
  readonly accumulated: unknown;
  /** When it was saved (ISO 8601). */
  readonly savedAt: string;
  /** The attempt that saved it. */
  readonly attempt: number;
}

/** What `ctx.checkpoint()` and `ctx.yield()` save. */
export interface CheckpointProgress {
  cursor: unknown;
  itemsProcessed?: number;
  accumulated?: unknown;
}

const YIELD = Symbol.for("tasker.step_yield");

/** What `ctx.yield()` returns. Return it from the handler: the step runs again, in the same attempt. */
export interface StepYield {
  readonly [YIELD]: CheckpointProgress | null;
}

/** Checks progress a handler wants saved; throws a TypeError naming what is wrong. */
export function checkProgress(progress: CheckpointProgress): CheckpointProgress {
  if (typeof progress !== "object" || progress === null) throw new TypeError("a checkpoint must be an object { cursor, itemsProcessed?, accumulated? }");
  if (!("cursor" in progress) || progress.cursor === undefined) throw new TypeError("a checkpoint needs a cursor (any JSON value)");
  const cursorProblem = findNonJson(progress.cursor, "cursor");
  if (cursorProblem) throw new TypeError(`checkpoint ${cursorProblem}`);
  const items = progress.itemsProcessed;
  if (items !== undefined && !(Number.isInteger(items) && items >= 0)) {
    throw new TypeError(`checkpoint itemsProcessed must be a non-negative integer, not ${String(items)}`);
  }
  if (progress.accumulated !== undefined) {
    const problem = findNonJson(progress.accumulated, "accumulated");
    if (problem) throw new TypeError(`checkpoint ${problem}`);
  }
  return progress;
}

/** The token `ctx.yield()` returns (checked where the handler runs, never sent anywhere). */
export function stepYield(progress: CheckpointProgress | undefined): StepYield {
  return Object.freeze({ [YIELD]: progress === undefined ? null : checkProgress(progress) });
}

/** The progress a yield carries (null: yield without saving), or undefined when `value` is not a yield. */
export function yieldedProgress(value: unknown): CheckpointProgress | null | undefined {
  if (typeof value !== "object" || value === null || !(YIELD in value)) return undefined;
  return (value as StepYield)[YIELD];
}
