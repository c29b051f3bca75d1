import type { StepContext } from "tasker";
import { readProductRows } from "./csvRows.ts";

interface Totals {
  rows_processed: number;
  inventory_value: number;
  low_stock: number;
  out_of_stock: number;
  /** Sum of the product ids seen: shows each row was counted exactly once. */
  product_id_sum: number;
}

const empty = (): Totals => ({ rows_processed: 0, inventory_value: 0, low_stock: 0, out_of_stock: 0, product_id_sum: 0 });

/**
 * A batch worker: processes the rows [cursor.start_cursor, cursor.end_cursor) of the CSV, in
 * slices of `checkpoint_every` rows (task context, default 50). After each slice it yields with
 * its cursor and running totals; a retry after a failure or a crash resumes from there, so no
 * row is counted twice. A placeholder batch (`is_no_op`) does nothing.
 */
export default async function processCsvBatch(ctx: StepContext) {
  const inputs = ctx.step.inputs as { cursor?: { batch_id: string; start_cursor: number; end_cursor: number }; is_no_op?: boolean };
  if (inputs.is_no_op || !inputs.cursor) return { batch_id: inputs.cursor?.batch_id ?? "000", no_op: true, ...empty() };
  const { batch_id, start_cursor, end_cursor } = inputs.cursor;
  const saved = ctx.step.checkpoint;
  const from = saved ? (saved.cursor as number) : start_cursor;
  const totals: Totals = saved ? (saved.accumulated as Totals) : empty();
  const every = Number(ctx.context["checkpoint_every"] ?? 50);
  const delayMs = Number(ctx.context["row_delay_ms"] ?? 0);
  const rows = readProductRows(String(ctx.context["csv_file_path"]));
  const to = Math.min(from + every, end_cursor);
  for (let index = from; index < to; index += 1) {
    const row = rows[index]!;
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    totals.rows_processed += 1;
    totals.inventory_value += Math.round(row.price * row.stock * 100) / 100;
    if (row.stock === 0) totals.out_of_stock += 1;
    else if (row.stock < 10) totals.low_stock += 1;
    totals.product_id_sum += row.product_id;
  }
  ctx.log.info("csv rows processed", { batch_id, from, to, attempt: ctx.step.attempt });
  if (to < end_cursor) return ctx.yield({ cursor: to, itemsProcessed: totals.rows_processed, accumulated: totals });
  return { batch_id, start_cursor, end_cursor, ...totals, inventory_value: Math.round(totals.inventory_value * 100) / 100 };
}
