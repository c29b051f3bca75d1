import { SpanKind, trace } from "@opentelemetry/api";
import { isConnectionError } from "../db/sqlState.ts";
import { inSpan } from "./spans.ts";
import type { Telemetry } from "./telemetry.ts";

export interface SqlCall {
  /** The SQL function or statement name, e.g. `tasker.claim_step`: a bounded label. */
  operation: string;
  /** A state-changing function that is one transaction (recorded as a transaction too). */
  transaction?: boolean;
}

/**
 * Runs one engine SQL call with its database metrics (count, duration, connections in use;
 * transaction duration for state-changing functions) and, when tracing is on and a span is
 * active, a client span `sql <operation>` under it. Calls outside any span (poller scans,
 * look-ups that find a span's parent) start no trace of their own.
 */
export async function instrumentSql<T>(telemetry: Telemetry, call: SqlCall, fn: () => Promise<T>): Promise<T> {
  const { metrics } = telemetry;
  const attributes = { operation: call.operation };
  metrics.dbPoolCheckouts.add(1, attributes);
  metrics.dbPoolConnections.add(1, { state: "in_use" });
  const started = performance.now();
  let outcome = "ok";
  try {
    if (!telemetry.tracer || !trace.getActiveSpan()) return await fn();
    return await inSpan(
      telemetry,
      `sql ${call.operation}`,
      { kind: SpanKind.CLIENT, attributes: () => ({ "db.system.name": "postgresql", "db.operation.name": call.operation }) },
      fn,
    );
  } catch (error) {
    outcome = "error";
    if (isConnectionError(error)) metrics.dbConnectionErrors.add(1, attributes);
    throw error;
  } finally {
    const ms = performance.now() - started;
    metrics.dbPoolConnections.add(-1, { state: "in_use" });
    metrics.sqlQueries.add(1, { operation: call.operation, outcome });
    metrics.sqlQueryDuration.record(ms, attributes);
    if (call.transaction) metrics.dbTransactionDuration.record(ms, attributes);
  }
}
