import type { StepContext } from "tasker";

interface BatchResult {
  batch_id: string;
  rows_processed: number;
  inventory_value: number;
  low_stock: number;
  out_of_stock: number;
  product_id_sum: number;
}

/** Totals every batch step's result (each finished batch is an ancestor of this step). */
export default function aggregateCsvResults(ctx: StepContext) {
  const batches = Object.values(ctx.dependencyResults).filter(
    (result): result is BatchResult => typeof result === "object" && result !== null && "batch_id" in result,
  );
  const sum = (key: keyof Omit<BatchResult, "batch_id">) => batches.reduce((total, batch) => total + batch[key], 0);
  return {
    batch_count: batches.length,
    total_rows_processed: sum("rows_processed"),
    inventory_value: Math.round(sum("inventory_value") * 100) / 100,
    low_stock_items: sum("low_stock"),
    out_of_stock_items: sum("out_of_stock"),
    product_id_sum: sum("product_id_sum"),
  };
}
