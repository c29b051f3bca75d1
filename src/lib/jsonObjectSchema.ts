import * as v from "valibot";

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * A JSON object (`{...}`) of any fields. valibot's `record` alone accepts an array and turns
 * it into `{"0": ..., "1": ...}`, which would be stored where the contract promises the
 * caller's object (a task's `context`); the array is refused before the record sees it.
 */
export const jsonObjectSchema = () =>
  v.pipe(v.custom<Record<string, unknown>>(isJsonObject, "must be a JSON object, not an array"), v.record(v.string(), v.unknown()));
