import * as v from "valibot";
import { jsonObjectSchema } from "../../lib/jsonObjectSchema.ts";
import { nullableTimestamp, queryInt, timestamp, uuid } from "./commonSchemas.ts";

const RESOLUTION_STATUSES = ["Pending", "ManuallyResolved", "PermanentlyFailed", "Cancelled"] as const;
const statusMessage = `must be one of ${RESOLUTION_STATUSES.join(", ")}`;

export const DlqEntrySchema = v.object({
  dlq_entry_uuid: uuid("DLQ entry"),
  task_uuid: uuid("task"),
  original_state: v.string(),
  dlq_reason: v.pipe(v.string(), v.description("PascalCase, e.g. StalenessTimeout")),
  dlq_timestamp: timestamp,
  resolution_status: v.picklist(RESOLUTION_STATUSES),
  resolution_timestamp: nullableTimestamp,
  resolution_notes: v.nullable(v.string()),
  resolved_by: v.nullable(v.string()),
  task_snapshot: v.record(v.string(), v.unknown()),
  metadata: v.nullable(v.record(v.string(), v.unknown())),
  created_at: timestamp,
  updated_at: timestamp,
});

export const DlqListQuerySchema = v.object({
  resolution_status: v.optional(v.picklist(RESOLUTION_STATUSES, statusMessage)),
  limit: queryInt(1, 1000, 50, "Entries to return"),
  offset: queryInt(0, 1_000_000_000, 0, "Entries to skip"),
});

export const DlqLimitQuerySchema = v.object({ limit: queryInt(1, 1000, 100, "Rows to return") });

export const DlqEntryParamsSchema = v.object({ dlq_entry_uuid: uuid("DLQ entry") });

export const DlqPatchSchema = v.strictObject(
  {
    resolution_status: v.optional(v.picklist(RESOLUTION_STATUSES, statusMessage)),
    resolution_notes: v.optional(v.pipe(v.string(), v.maxLength(10_000))),
    resolved_by: v.optional(v.pipe(v.string(), v.maxLength(255))),
    metadata: v.optional(jsonObjectSchema()),
  },
  "unknown field: allowed are resolution_status, resolution_notes, resolved_by, metadata",
);

export const DlqUpdateResponseSchema = v.object({ success: v.boolean(), message: v.string(), dlq_entry_uuid: v.string() });

export const DlqStatsSchema = v.object({
  dlq_reason: v.string(),
  total_entries: v.number(),
  pending: v.number(),
  manually_resolved: v.number(),
  permanent_failures: v.number(),
  cancelled: v.number(),
  oldest_entry: nullableTimestamp,
  newest_entry: nullableTimestamp,
  avg_resolution_time_minutes: v.nullable(v.number()),
});

export const DlqRowsSchema = v.array(v.record(v.string(), v.unknown()));
