import type { DlqEntry } from "./apiTypes.ts";
import { formatTable } from "./formatTable.ts";
import { formatTime } from "./formatValue.ts";

/** DLQ entries, newest first as the API returns them. */
export function formatDlqList(entries: readonly DlqEntry[]): string {
  if (entries.length === 0) return "no DLQ entries\n";
  return formatTable(entries, [
    { header: "dlq entry uuid", value: (e) => e.dlq_entry_uuid },
    { header: "task uuid", value: (e) => e.task_uuid },
    { header: "reason", value: (e) => e.dlq_reason },
    { header: "original state", value: (e) => e.original_state },
    { header: "status", value: (e) => e.resolution_status },
    { header: "since", value: (e) => formatTime(e.dlq_timestamp) },
  ]);
}
