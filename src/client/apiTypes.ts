/**
 * The REST contract as the client sees it (reference section 7.3). Only the
 * fields the CLI reads are typed; responses are passed through whole for --json.
 */

export interface TaskRequest {
  namespace: string;
  name: string;
  version: string;
  context: Record<string, unknown>;
  initiator?: string;
  source_system?: string;
  reason?: string;
  tags?: string[];
  priority?: number;
  correlation_id?: string;
  idempotency_key?: string;
}

/** A step inside a TaskResponse (tasker-core's StepReadinessStatus). */
export interface TaskStep {
  workflow_step_uuid: string;
  name: string;
  current_state: string;
  attempts: number;
  max_attempts: number;
  next_retry_at?: string | null;
  results?: unknown;
  /** The decision or batchable step whose result created it (null: created with the task). */
  created_by?: string | null;
  parents?: Array<{ name: string; edge: string }>;
  checkpoint?: { cursor: unknown; items_processed: number | null; saved_at: string; attempt: number } | null;
}

export interface AbsentStep {
  name: string;
  type: string;
  code: string;
  reason: string;
}

export interface TaskResponse {
  task_uuid: string;
  name: string;
  namespace: string;
  version: string;
  status: string;
  execution_status?: string;
  correlation_id: string;
  created_at: string;
  completed_at?: string | null;
  total_steps?: number;
  completed_steps?: number;
  failed_steps?: number;
  completion_percentage?: number;
  steps: TaskStep[];
  absent_steps?: AbsentStep[];
}

export interface TaskListResponse {
  tasks: TaskResponse[];
  pagination: { page: number; per_page: number; total_count: number; total_pages: number; has_next: boolean };
}

export interface TaskListQuery {
  page?: number;
  per_page?: number;
  namespace?: string;
  status?: string;
  /** The template's name. */
  name?: string;
  tag?: string;
  /** ISO 8601; without an offset, UTC. */
  created_after?: string;
  created_before?: string;
  /** A task uuid or a correlation id. */
  uuid?: string;
}

export interface StepResponse {
  step_uuid: string;
  task_uuid: string;
  name: string;
  current_state: string;
  attempts: number;
  max_attempts: number;
  dependencies_satisfied?: boolean;
  retry_eligible?: boolean;
  created_at?: string;
  completed_at?: string | null;
  last_attempted_at?: string | null;
  next_retry_at?: string | null;
  results?: unknown;
}

export type StepManualAction =
  | { action_type: "reset_for_retry"; reason: string; reset_by: string }
  | { action_type: "resolve_manually"; reason: string; resolved_by: string }
  | {
      action_type: "complete_manually";
      reason: string;
      completed_by: string;
      completion_data: { result: unknown; metadata?: Record<string, unknown> };
    };

export interface StepExplanation {
  step_uuid: string;
  name?: string;
  state: string;
  task_state?: string;
  running: boolean;
  reasons: Array<{ code: string; message: string; [field: string]: unknown }>;
}

export interface TemplateListResponse {
  namespaces: Array<{ name: string; description?: string | null; template_count: number }>;
  templates: Array<{ name: string; namespace: string; version: string; description?: string | null; step_count: number }>;
  total_count: number;
}

export interface TemplateDetail {
  name: string;
  namespace: string;
  version: string;
  description?: string | null;
  steps: Array<{ name: string; description?: string | null; default_retryable?: boolean; default_max_attempts?: number }>;
}

export interface DlqEntry {
  dlq_entry_uuid: string;
  task_uuid: string;
  original_state: string;
  dlq_reason: string;
  dlq_timestamp: string;
  resolution_status: string;
  resolution_notes?: string | null;
  resolved_by?: string | null;
}

export interface DlqListQuery {
  resolution_status?: string;
  limit?: number;
  offset?: number;
}

export interface DlqUpdate {
  resolution_status?: string;
  resolution_notes?: string;
  resolved_by?: string;
}

export interface DlqUpdateResponse {
  success: boolean;
  message: string;
  dlq_entry_uuid: string;
}
