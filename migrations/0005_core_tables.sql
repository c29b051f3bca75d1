-- The workflow data model: namespaces, templates, tasks, steps, the DAG edges,
-- append-only transition histories, result audit, and the process registry.
--
-- Current state lives on the task and step rows (`state`), which is what every
-- compare-and-swap updates (`UPDATE ... WHERE state = <expected>`); the
-- transitions tables are the history, written by the same SQL functions in the
-- same transaction, with `most_recent` and `sort_key` as in tasker-core.
-- Timestamps are timestamptz.

-- ---------------------------------------------------------------- namespaces
CREATE TABLE tasker.task_namespaces (
  task_namespace_uuid uuid PRIMARY KEY DEFAULT tasker.uuid_generate_v7(),
  name varchar(64) NOT NULL UNIQUE CHECK (name ~ '^[a-z_][a-z0-9_]*$'),
  description varchar(255),
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- ---------------------------------------------------------------- templates
CREATE TABLE tasker.named_tasks (
  named_task_uuid uuid PRIMARY KEY DEFAULT tasker.uuid_generate_v7(),
  task_namespace_uuid uuid NOT NULL REFERENCES tasker.task_namespaces,
  name varchar(64) NOT NULL CHECK (name ~ '^[a-z_][a-z0-9_]*$'),
  version varchar(32) NOT NULL,
  description varchar(255),
  -- The whole template as JSON (snake_case keys); the orchestrator reads templates only from here.
  configuration jsonb NOT NULL,
  identity_strategy varchar(16) NOT NULL DEFAULT 'strict'
    CHECK (identity_strategy IN ('strict', 'caller_provided', 'always_unique')),
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (task_namespace_uuid, name, version)
);
CREATE INDEX named_tasks_lifecycle_idx ON tasker.named_tasks USING gin ((configuration -> 'lifecycle'))
  WHERE configuration ? 'lifecycle';

-- Global step-name registry (find-or-create by name at task creation).
CREATE TABLE tasker.named_steps (
  named_step_uuid uuid PRIMARY KEY DEFAULT tasker.uuid_generate_v7(),
  name varchar(128) NOT NULL UNIQUE,
  description varchar(255),
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- ---------------------------------------------------------------- tasks
CREATE TABLE tasker.tasks (
  task_uuid uuid PRIMARY KEY DEFAULT tasker.uuid_generate_v7(),
  named_task_uuid uuid NOT NULL REFERENCES tasker.named_tasks,
  state varchar(32) NOT NULL DEFAULT 'pending' CHECK (state IN (
    'pending', 'initializing', 'enqueuing_steps', 'steps_in_process', 'evaluating_results',
    'waiting_for_dependencies', 'waiting_for_retry', 'blocked_by_failures',
    'complete', 'error', 'cancelled', 'resolved_manually')),
  state_entered_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- sort_key of the most recent transition; the next one is this + 1.
  transition_count integer NOT NULL DEFAULT 0,
  complete boolean NOT NULL DEFAULT false,
  requested_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  completed_at timestamptz,
  initiator varchar(128),
  source_system varchar(128),
  reason varchar(128),
  tags jsonb NOT NULL DEFAULT '[]',
  context jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(context) = 'object'),
  identity_hash varchar(128) NOT NULL,
  idempotency_key varchar(255),
  priority integer NOT NULL DEFAULT 0,
  correlation_id uuid NOT NULL,
  parent_correlation_id uuid,
  -- W3C trace context of the request that created the task (traceparent, tracestate).
  trace_context jsonb,
  -- The orchestrator process driving the task while it is in an active state; another
  -- may take over when that process stops heart-beating (see tasker.processes).
  owner_process_uuid uuid,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE UNIQUE INDEX tasks_identity_hash_idx ON tasker.tasks (identity_hash);
CREATE INDEX tasks_correlation_id_idx ON tasker.tasks (correlation_id);
CREATE INDEX tasks_parent_correlation_idx ON tasker.tasks (parent_correlation_id, correlation_id)
  WHERE parent_correlation_id IS NOT NULL;
CREATE INDEX tasks_named_task_idx ON tasker.tasks (named_task_uuid);
-- Readiness polling and staleness only look at tasks that are not finished.
CREATE INDEX tasks_open_state_idx ON tasker.tasks (state, state_entered_at)
  INCLUDE (priority, named_task_uuid)
  WHERE state NOT IN ('complete', 'error', 'cancelled', 'resolved_manually');
CREATE INDEX tasks_created_at_idx ON tasker.tasks (created_at);
CREATE INDEX tasks_tags_idx ON tasker.tasks USING gin (tags jsonb_path_ops);

-- ---------------------------------------------------------------- steps
CREATE TABLE tasker.workflow_steps (
  workflow_step_uuid uuid PRIMARY KEY DEFAULT tasker.uuid_generate_v7(),
  task_uuid uuid NOT NULL REFERENCES tasker.tasks ON DELETE CASCADE,
  named_step_uuid uuid NOT NULL REFERENCES tasker.named_steps,
  -- The step's index in its template (0-based), so listings follow the template.
  position integer NOT NULL DEFAULT 0,
  state varchar(40) NOT NULL DEFAULT 'pending' CHECK (state IN (
    'pending', 'enqueued', 'in_progress', 'enqueued_for_orchestration',
    'enqueued_as_error_for_orchestration', 'waiting_for_retry',
    'complete', 'error', 'cancelled', 'resolved_manually')),
  state_entered_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  transition_count integer NOT NULL DEFAULT 0,
  -- Parents not yet complete or resolved_manually; 0 means dependencies are satisfied.
  remaining_dependencies integer NOT NULL DEFAULT 0 CHECK (remaining_dependencies >= 0),
  retryable boolean NOT NULL DEFAULT true,
  max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 0),
  attempts integer NOT NULL DEFAULT 0,
  backoff varchar(16) NOT NULL DEFAULT 'exponential' CHECK (backoff IN ('none', 'linear', 'exponential', 'fibonacci')),
  backoff_base_ms integer NOT NULL DEFAULT 1000,
  max_backoff_ms integer NOT NULL DEFAULT 30000,
  timeout_seconds integer,
  in_process boolean NOT NULL DEFAULT false,
  processed boolean NOT NULL DEFAULT false,
  processed_at timestamptz,
  last_attempted_at timestamptz,
  backoff_request_seconds integer,
  next_retry_at timestamptz,
  -- The worker process holding the current attempt and when its lease runs out
  -- (attempt start + timeout + grace); the step reaper re-queues expired leases.
  claimed_by uuid,
  lease_expires_at timestamptz,
  inputs jsonb,
  results jsonb,
  checkpoint jsonb,
  priority integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT workflow_steps_task_named_step_key UNIQUE (task_uuid, named_step_uuid)
);
CREATE INDEX workflow_steps_task_state_idx ON tasker.workflow_steps (task_uuid, state);
-- Steps that may become ready: the readiness scan touches only these.
CREATE INDEX workflow_steps_ready_idx ON tasker.workflow_steps (task_uuid)
  WHERE state IN ('pending', 'waiting_for_retry') AND remaining_dependencies = 0;
CREATE INDEX workflow_steps_retry_due_idx ON tasker.workflow_steps (next_retry_at)
  WHERE state = 'waiting_for_retry';
CREATE INDEX workflow_steps_lease_idx ON tasker.workflow_steps (lease_expires_at)
  WHERE state = 'in_progress';
CREATE INDEX workflow_steps_awaiting_orchestration_idx ON tasker.workflow_steps (state_entered_at)
  WHERE state IN ('enqueued_for_orchestration', 'enqueued_as_error_for_orchestration', 'enqueued');

-- ---------------------------------------------------------------- DAG edges
CREATE TABLE tasker.workflow_step_edges (
  workflow_step_edge_uuid uuid PRIMARY KEY DEFAULT tasker.uuid_generate_v7(),
  from_step_uuid uuid NOT NULL REFERENCES tasker.workflow_steps ON DELETE CASCADE,
  to_step_uuid uuid NOT NULL REFERENCES tasker.workflow_steps ON DELETE CASCADE,
  name varchar(64) NOT NULL DEFAULT 'provides',
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  CHECK (from_step_uuid <> to_step_uuid),
  UNIQUE (from_step_uuid, to_step_uuid, name)
);
CREATE INDEX workflow_step_edges_to_idx ON tasker.workflow_step_edges (to_step_uuid);

-- ---------------------------------------------------------------- histories
CREATE TABLE tasker.task_transitions (
  task_transition_uuid uuid PRIMARY KEY DEFAULT tasker.uuid_generate_v7(),
  task_uuid uuid NOT NULL REFERENCES tasker.tasks ON DELETE CASCADE,
  from_state varchar(32),
  to_state varchar(32) NOT NULL,
  event varchar(64) NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}',
  sort_key integer NOT NULL,
  most_recent boolean NOT NULL DEFAULT false,
  processor_uuid uuid,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (task_uuid, sort_key)
);
CREATE UNIQUE INDEX task_transitions_most_recent_idx ON tasker.task_transitions (task_uuid) WHERE most_recent;

CREATE TABLE tasker.workflow_step_transitions (
  workflow_step_transition_uuid uuid PRIMARY KEY DEFAULT tasker.uuid_generate_v7(),
  workflow_step_uuid uuid NOT NULL REFERENCES tasker.workflow_steps ON DELETE CASCADE,
  from_state varchar(40),
  to_state varchar(40) NOT NULL,
  event varchar(64) NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}',
  sort_key integer NOT NULL,
  most_recent boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (workflow_step_uuid, sort_key)
);
CREATE UNIQUE INDEX workflow_step_transitions_most_recent_idx
  ON tasker.workflow_step_transitions (workflow_step_uuid) WHERE most_recent;

-- One row per result a worker submitted (SOC2-style audit trail).
CREATE TABLE tasker.workflow_step_result_audit (
  workflow_step_result_audit_uuid uuid PRIMARY KEY DEFAULT tasker.uuid_generate_v7(),
  workflow_step_uuid uuid NOT NULL REFERENCES tasker.workflow_steps ON DELETE CASCADE,
  workflow_step_transition_uuid uuid NOT NULL REFERENCES tasker.workflow_step_transitions ON DELETE CASCADE,
  task_uuid uuid NOT NULL REFERENCES tasker.tasks ON DELETE CASCADE,
  recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  worker_uuid uuid,
  correlation_id uuid,
  attempt integer NOT NULL,
  success boolean NOT NULL,
  execution_time_ms bigint,
  UNIQUE (workflow_step_uuid, workflow_step_transition_uuid)
);
CREATE INDEX workflow_step_result_audit_step_idx ON tasker.workflow_step_result_audit (workflow_step_uuid);

-- ---------------------------------------------------------------- processes
-- Every running role registers here and heart-beats; ownership of tasks and leases
-- of steps are judged against these heartbeats.
CREATE TABLE tasker.processes (
  process_uuid uuid PRIMARY KEY,
  role varchar(16) NOT NULL CHECK (role IN ('orchestration', 'worker', 'combined')),
  namespaces text[] NOT NULL DEFAULT '{}',
  hostname varchar(255) NOT NULL,
  pid integer NOT NULL,
  version varchar(32) NOT NULL,
  started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  heartbeat_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  stopped_at timestamptz
);
CREATE INDEX processes_heartbeat_idx ON tasker.processes (heartbeat_at) WHERE stopped_at IS NULL;
