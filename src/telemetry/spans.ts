import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type TimeInput,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { toError } from "../lib/errors.ts";
import type { Telemetry } from "./telemetry.ts";

/** W3C `traceparent`/`tracestate`, as they travel in PGMQ message headers and `tasks.trace_context`. */
export type TraceHeaders = Record<string, string>;

const w3c = new W3CTraceContextPropagator();

export interface SpanOptions {
  /** Builds the span's attributes; called only when tracing is on. */
  attributes?: () => Attributes;
  /** The parent; the active context by default. */
  parent?: Context;
  links?: () => Link[];
  kind?: SpanKind;
  /** For spans recorded after the fact (the work ran before its parent was known). */
  startTime?: TimeInput;
}

/**
 * Runs `fn` inside a new active span when tracing is on; otherwise just runs it (no span,
 * no attributes built). A throw marks the span as an error and is rethrown.
 */
export async function inSpan<T>(
  telemetry: Telemetry,
  name: string,
  options: SpanOptions,
  fn: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  const tracer = telemetry.tracer;
  if (!tracer) return fn(undefined);
  const span = tracer.startSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      ...(options.attributes ? { attributes: options.attributes() } : {}),
      ...(options.links ? { links: options.links() } : {}),
      ...(options.startTime !== undefined ? { startTime: options.startTime } : {}),
    },
    options.parent ?? context.active(),
  );
  try {
    return await context.with(trace.setSpan(options.parent ?? context.active(), span), () => fn(span));
  } catch (error) {
    const err = toError(error);
    span.recordException(err);
    span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
    throw error;
  } finally {
    span.end();
  }
}

/** The active span's context as W3C headers, or null when tracing is off or nothing is active. */
export function traceHeaders(telemetry: Telemetry): TraceHeaders | null {
  if (!telemetry.tracer) return null;
  const carrier: TraceHeaders = {};
  w3c.inject(context.active(), carrier, {
    set: (c: TraceHeaders, k: string, v: string) => {
      c[k] = v;
    },
  });
  return carrier["traceparent"] ? carrier : null;
}

/** The parent context carried by W3C headers (a message's or a task's), or undefined. */
export function contextFromHeaders(headers: Readonly<Record<string, unknown>> | null | undefined): Context | undefined {
  if (!headers || typeof headers["traceparent"] !== "string") return undefined;
  const extracted = w3c.extract(ROOT_CONTEXT, headers, {
    get: (c: Readonly<Record<string, unknown>>, k: string) => {
      const value = c[k];
      return typeof value === "string" ? value : undefined;
    },
    keys: (c: Readonly<Record<string, unknown>>) => Object.keys(c),
  });
  return trace.getSpanContext(extracted) ? extracted : undefined;
}

/** A link to the span a traceparent names (fan-in: a step's parents). */
export function linkFromHeaders(headers: Readonly<Record<string, unknown>> | null | undefined, attributes?: Attributes): Link | undefined {
  const parent = contextFromHeaders(headers);
  const spanContext = parent ? trace.getSpanContext(parent) : undefined;
  return spanContext ? { context: spanContext, ...(attributes ? { attributes } : {}) } : undefined;
}

/** `trace_id` / `span_id` of the active span for log lines (empty when none is recording). */
export function activeTraceFields(): { trace_id?: string; span_id?: string } {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/** Adds an event to the active span when one is recording. */
export function addSpanEvent(name: string, attributes: () => Attributes): void {
  const span = trace.getActiveSpan();
  if (span?.isRecording()) span.addEvent(name, attributes());
}


/** A span started for work that runs elsewhere (a handler thread), ended when that work reports back. */
export interface RelayedSpan {
  span: Span;
  end(error?: string): void;
}

/** Starts a child of `parent` (a span the caller holds, not the active one); undefined when tracing is off. */
export function startRelayedSpan(telemetry: Telemetry, name: string, parent: Span): RelayedSpan | undefined {
  const span = telemetry.tracer?.startSpan(name, {}, trace.setSpan(context.active(), parent));
  if (!span) return undefined;
  return {
    span,
    end(error) {
      if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
      span.end();
    },
  };
}
