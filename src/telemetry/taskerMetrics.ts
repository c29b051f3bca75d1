import type { Attributes, Counter, Histogram, Meter, ObservableGauge, UpDownCounter } from "@opentelemetry/api";

/**
 * Every tasker_* instrument, created once per process from one meter. Names are the
 * Prometheus names of the seed plan (section 3.3) and of the state-machine metrics;
 * durations are `_milliseconds` histograms (`_seconds` where the seed says so).
 * Labels are bounded: namespace, step name, state, outcome, queue. Correlation ids,
 * task and step uuids are never labels (they belong on spans and logs).
 */
export interface TaskerMetrics {
  // Orchestration (11)
  tasksRequests: Counter;
  tasksCompletions: Counter;
  tasksFailures: Counter;
  stepsEnqueued: Counter;
  stepResultsProcessed: Counter;
  taskInitializationDuration: Histogram;
  taskFinalizationDuration: Histogram;
  stepResultProcessingDuration: Histogram;
  tasksExcludedStaleness: Counter;
  tasksActive: ObservableGauge;
  stepsReady: ObservableGauge;
  // Worker (10, with queue depth below)
  stepsExecutions: Counter;
  stepsSuccesses: Counter;
  stepsFailures: Counter;
  stepsClaimed: Counter;
  stepsResultsSubmitted: Counter;
  stepExecutionDuration: Histogram;
  stepClaimDuration: Histogram;
  stepResultSubmissionDuration: Histogram;
  stepsActiveExecutions: UpDownCounter;
  handlerThreads: UpDownCounter;
  handlerThreadStops: Counter;
  // Dynamic workflows (7): decision and batch outcomes, checkpoints
  decisionOutcomes: Counter;
  dynamicStepsCreated: Counter;
  outcomeValidationErrors: Counter;
  outcomeProcessingDuration: Histogram;
  outcomeStepCount: Histogram;
  batchesCreated: Counter;
  stepCheckpoints: Counter;
  // Domain events (5)
  domainEventsPublished: Counter;
  domainEventsFailed: Counter;
  domainEventsDropped: Counter;
  domainEventsDispatched: Counter;
  domainEventPublishDuration: Histogram;
  // Database (7)
  sqlQueries: Counter;
  sqlQueryDuration: Histogram;
  dbTransactionDuration: Histogram;
  dbPoolCheckouts: Counter;
  dbConnectionErrors: Counter;
  dbPoolConnections: UpDownCounter;
  // Messaging (11)
  messagesSent: Counter;
  messageSendFailures: Counter;
  messagesReceived: Counter;
  messageReceiveFailures: Counter;
  messagesArchived: Counter;
  messageSendDuration: Histogram;
  messageReceiveDuration: Histogram;
  messageArchiveDuration: Histogram;
  messageLatency: Histogram;
  queueDepth: ObservableGauge;
  queueOldestMessageAge: ObservableGauge;
  // State machine (5)
  taskStateTransitions: Counter;
  taskStateDuration: Histogram;
  taskCompletionDuration: Histogram;
  stepStateTransitions: Counter;
  stepAttempts: Counter;
  // HTTP (beside the seed's set)
  httpRequests: Counter;
  httpRequestDuration: Histogram;
  // Queue health (gauges beside the seed's set)
  queueDeadTuples: ObservableGauge;
  queueSecondsSinceAutovacuum: ObservableGauge;
  oldestTransactionAge: ObservableGauge;
}

const MS_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];
const SECOND_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400];

export function createTaskerMetrics(meter: Meter): TaskerMetrics {
  const counter = (name: string, description: string) => meter.createCounter(name, { description });
  const ms = (name: string, description: string) =>
    meter.createHistogram(name, { description, unit: "ms", advice: { explicitBucketBoundaries: MS_BUCKETS } });
  const seconds = (name: string, description: string) =>
    meter.createHistogram(name, { description, unit: "s", advice: { explicitBucketBoundaries: SECOND_BUCKETS } });
  const gauge = (name: string, description: string) => meter.createObservableGauge(name, { description });
  const upDown = (name: string, description: string) => meter.createUpDownCounter(name, { description });
  return {
    tasksRequests: counter("tasker_tasks_requests_total", "Task creation requests, by namespace and outcome (created, conflict, invalid)."),
    tasksCompletions: counter("tasker_tasks_completions_total", "Tasks that reached complete."),
    tasksFailures: counter("tasker_tasks_failures_total", "Tasks that failed (blocked_by_failures, or error without passing through it)."),
    stepsEnqueued: counter("tasker_steps_enqueued_total", "Steps sent to a worker queue, by namespace and step name."),
    stepResultsProcessed: counter("tasker_step_results_processed_total", "Step results processed by orchestration, by result_type."),
    taskInitializationDuration: ms("tasker_task_initialization_duration_milliseconds", "Task creation: validation, insert and first enqueue."),
    taskFinalizationDuration: ms("tasker_task_finalization_duration_milliseconds", "The evaluation that moved a task to a final or blocked state, by final_state."),
    stepResultProcessingDuration: ms("tasker_step_result_processing_duration_milliseconds", "Processing one step result, by result_type."),
    tasksExcludedStaleness: counter("tasker_tasks_excluded_staleness_total", "Stale tasks moved to error (with a DLQ entry) by the staleness detector."),
    tasksActive: gauge("tasker_tasks_active", "Tasks in a non-terminal state, by state (whole database)."),
    stepsReady: gauge("tasker_steps_ready", "Steps ready to be enqueued now (whole database)."),
    stepsExecutions: counter("tasker_steps_executions_total", "Handler executions started by this worker."),
    stepsSuccesses: counter("tasker_steps_successes_total", "Handler executions that succeeded."),
    stepsFailures: counter("tasker_steps_failures_total", "Handler executions that failed, by error_type."),
    stepsClaimed: counter("tasker_steps_claimed_total", "Steps claimed, by claim_method (event, poll, continuation, backlog or creation)."),
    stepsResultsSubmitted: counter("tasker_steps_results_submitted_total", "Results submitted to orchestration, by result_type and accepted."),
    stepExecutionDuration: ms("tasker_step_execution_duration_milliseconds", "Handler execution time, by namespace and result."),
    stepClaimDuration: ms("tasker_step_claim_duration_milliseconds", "Claiming a step from a message (tasker.claim_steps), by claim_method and outcome (claimed, not_claimed)."),
    stepResultSubmissionDuration: ms("tasker_step_result_submission_duration_milliseconds", "Submitting a result (tasker.submit_step_result)."),
    stepsActiveExecutions: upDown("tasker_steps_active_executions", "Handlers running now in this process."),
    handlerThreads: upDown("tasker_handler_threads", "Handler threads alive in this process (worker.handler_isolation = thread)."),
    handlerThreadStops: counter(
      "tasker_handler_thread_stops_total",
      "Handler threads stopped because of their handler, by reason (memory_limit_exceeded, handler_crashed, handler_stopped).",
    ),
    decisionOutcomes: counter(
      "tasker_decision_points_outcomes_processed_total",
      "Decision and batch outcomes applied by this worker, by namespace, step_type and outcome_type (create_steps, no_branches, create_batches, no_batches, invalid).",
    ),
    dynamicStepsCreated: counter("tasker_decision_points_steps_created_total", "Steps created by decision and batch outcomes, by namespace and step_type."),
    outcomeValidationErrors: counter(
      "tasker_decision_points_validation_errors_total",
      "Outcomes that could not be applied (the step failed permanently), by namespace, step_type and error_type (malformed, step_not_found, invalid_descendant, nested_decision, missing_dependency, too_many_steps, depth_exceeded, invalid_worker_template, too_many_batches, name_conflict).",
    ),
    outcomeProcessingDuration: ms(
      "tasker_decision_point_processing_duration_milliseconds",
      "Completing a decision or batchable step: planning, creating its steps and completing it, by step_type.",
    ),
    outcomeStepCount: meter.createHistogram("tasker_decision_point_step_count", {
      description: "Steps one decision or batch outcome created, by step_type.",
      advice: { explicitBucketBoundaries: [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] },
    }),
    batchesCreated: counter("tasker_batch_processing_batches_created_total", "Batch worker steps created by batchable outcomes, by namespace."),
    stepCheckpoints: counter("tasker_step_checkpoints_total", "Checkpoints saved, by namespace and kind (checkpoint, yield)."),
    domainEventsPublished: counter("tasker_domain_events_published_total", "Domain events published, by namespace, event_name and delivery_mode."),
    domainEventsFailed: counter(
      "tasker_domain_events_failed_total",
      "Domain events not published (the step is unaffected), by namespace, event_name and reason (payload_invalid, schema_invalid, queue_error, publish_error, subscriber_error).",
    ),
    domainEventsDropped: counter("tasker_domain_events_dropped_total", "Fast domain events no in-process subscriber's pattern matched, by namespace and event_name."),
    domainEventsDispatched: counter("tasker_domain_events_dispatched_total", "Fast domain events handled by an in-process subscriber, by namespace and event_name."),
    domainEventPublishDuration: ms("tasker_domain_event_publish_duration_milliseconds", "Sending one durable domain event to its queue, by namespace."),
    sqlQueries: counter("tasker_sql_queries_total", "Engine SQL calls, by operation and outcome."),
    sqlQueryDuration: ms("tasker_sql_query_duration_milliseconds", "Engine SQL call time, by operation."),
    dbTransactionDuration: ms("tasker_db_transaction_duration_milliseconds", "State-changing SQL functions (each one transaction), by operation."),
    dbPoolCheckouts: counter("tasker_db_pool_checkouts_total", "Connections taken from the pool for engine SQL calls (postgres.js takes one per call)."),
    dbConnectionErrors: counter("tasker_db_connection_errors_total", "Engine SQL calls that failed on the connection (not on the statement)."),
    dbPoolConnections: upDown("tasker_db_pool_connections", "Pool connections busy with engine SQL calls in this process (state=in_use)."),
    messagesSent: counter("tasker_messages_sent_total", "Queue messages sent, by queue."),
    messageSendFailures: counter("tasker_messages_send_failures_total", "Queue sends that failed, by queue."),
    messagesReceived: counter("tasker_messages_received_total", "Queue messages received, by queue and source (notify or poll)."),
    messageReceiveFailures: counter("tasker_messages_receive_failures_total", "Queue reads that failed, by queue."),
    messagesArchived: counter("tasker_messages_archived_total", "Queue messages archived (acknowledged), by queue."),
    messageSendDuration: ms("tasker_message_send_duration_milliseconds", "Sending a message, by queue."),
    messageReceiveDuration: ms("tasker_message_receive_duration_milliseconds", "One queue read, by queue."),
    messageArchiveDuration: ms("tasker_message_archive_duration_milliseconds", "Archiving a message, by queue."),
    messageLatency: ms("tasker_message_latency_milliseconds", "From a message becoming visible to a consumer receiving it, by queue and source."),
    queueDepth: gauge("tasker_queue_depth", "Messages in a queue, by queue."),
    queueOldestMessageAge: gauge("tasker_queue_oldest_message_age_seconds", "Age of the oldest message in a queue, by queue."),
    taskStateTransitions: counter("tasker_task_state_transitions_total", "Task state transitions, by namespace, from_state and to_state."),
    taskStateDuration: seconds("tasker_task_state_duration_seconds", "Time a task spent in a state, by namespace and state (when this process saw it enter)."),
    taskCompletionDuration: seconds("tasker_task_completion_duration_seconds", "Task creation to a final state, by namespace and outcome."),
    stepStateTransitions: counter("tasker_step_state_transitions_total", "Step state transitions, by namespace, from_state and to_state."),
    stepAttempts: counter("tasker_step_attempts_total", "Step attempts, by namespace, step_name, outcome and attempt_number."),
    httpRequests: counter("tasker_http_requests_total", "HTTP requests, by method, route (the pattern, never the path) and status."),
    httpRequestDuration: ms("tasker_http_request_duration_milliseconds", "HTTP request time, by method and route."),
    queueDeadTuples: gauge("tasker_queue_dead_tuples", "Dead tuples in a queue table (pgmq.q_*), by queue: bloat that slows reads."),
    queueSecondsSinceAutovacuum: gauge("tasker_queue_seconds_since_autovacuum", "Seconds since a queue table was last (auto)vacuumed, by queue."),
    oldestTransactionAge: gauge("tasker_db_oldest_xmin_age_seconds", "Age of the oldest open transaction holding back cleanup (backend_xmin)."),
  };
}

/** Attributes with undefined values dropped (labels must be strings, numbers or booleans). */
export function labels(fields: Record<string, string | number | boolean | undefined | null>): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null) out[k] = v;
  return out;
}
