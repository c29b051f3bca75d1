/**
 * The bench's no-op step: does nothing but say when it started, as epoch
 * milliseconds with sub-millisecond precision, so pickup latency can be measured
 * from the step's `enqueued` transition to the moment the handler ran.
 */
export default function noop() {
  return { started_ms: performance.timeOrigin + performance.now() };
}
