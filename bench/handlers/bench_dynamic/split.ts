import type { StepContext } from "tasker";

/** An analyzer asking for `context.batches` batch steps of one item each. */
export default function split(ctx: StepContext) {
  const count = Number(ctx.context["batches"] ?? 100);
  const cursor_configs = Array.from({ length: count }, (_, i) => ({ batch_id: String(i).padStart(4, "0"), start_cursor: i, end_cursor: i + 1, batch_size: 1 }));
  return { batch_processing_outcome: { type: "create_batches", worker_template_name: "part", worker_count: count, cursor_configs, total_items: count } };
}
