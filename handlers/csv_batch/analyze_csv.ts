import type { StepContext } from "tasker";
import { readProductRows } from "./csvRows.ts";

/**
 * A batchable handler: counts the CSV's rows and asks for up to `max_workers` batch steps of the
 * `worker_template_name` template, each over a range of row indexes [start_cursor, end_cursor).
 */
export function analyzeCsv(defaultWorkerTemplate: string) {
  return (ctx: StepContext) => {
    const path = String(ctx.context["csv_file_path"]);
    const total = readProductRows(path).length;
    const named = ctx.step.inputs["worker_template_name"];
    const workerTemplate = typeof named === "string" ? named : defaultWorkerTemplate;
    if (total === 0) return { batch_processing_outcome: { type: "no_batches" }, reason: `${path} has no rows`, total_items: 0 };
    const batchSize = Number(ctx.step.inputs["batch_size"] ?? 200);
    const maxWorkers = Number(ctx.step.inputs["max_workers"] ?? 5);
    const workers = Math.min(Math.ceil(total / batchSize), maxWorkers);
    const perWorker = Math.ceil(total / workers);
    const cursorConfigs = Array.from({ length: workers }, (_, i) => ({
      batch_id: String(i + 1).padStart(3, "0"),
      start_cursor: i * perWorker,
      end_cursor: Math.min((i + 1) * perWorker, total),
      batch_size: Math.min((i + 1) * perWorker, total) - i * perWorker,
    }));
    return {
      batch_processing_outcome: {
        type: "create_batches",
        worker_template_name: workerTemplate,
        worker_count: workers,
        cursor_configs: cursorConfigs,
        total_items: total,
      },
      csv_file_path: path,
      total_rows: total,
    };
  };
}

export default analyzeCsv("process_csv_batch");
