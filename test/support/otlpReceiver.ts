/**
 * A real OTLP/HTTP receiver for tests: accepts what an exporter POSTs to /v1/traces (JSON
 * encoding, OTEL_EXPORTER_OTLP_PROTOCOL=http/json) and decodes every span with its resource.
 */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  links: Array<{ traceId: string; spanId: string }>;
}

export interface OtlpReceiver {
  readonly url: string;
  spans(): ReceivedSpan[];
  stop(): Promise<void>;
}

interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
type KeyValue = { key: string; value: AnyValue };

function valueOf(v: AnyValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  return v.boolValue;
}

const attributesOf = (list: KeyValue[] | undefined): Record<string, unknown> =>
  Object.fromEntries((list ?? []).map((kv) => [kv.key, valueOf(kv.value)]));

/** Ids are hex in OTLP/JSON; accept base64 (the protobuf JSON mapping) too. */
function hexId(id: string | undefined): string | undefined {
  if (!id) return undefined;
  if (/^[0-9a-f]+$/i.test(id) && (id.length === 32 || id.length === 16)) return id.toLowerCase();
  return Buffer.from(id, "base64").toString("hex");
}

export function startOtlpReceiver(): OtlpReceiver {
  const received: ReceivedSpan[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      if (request.method !== "POST") return new Response("method not allowed", { status: 405 });
      if (path === "/v1/traces") {
        const body = (await request.json()) as {
          resourceSpans?: Array<{
            resource?: { attributes?: KeyValue[] };
            scopeSpans?: Array<{ spans?: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: KeyValue[]; links?: Array<{ traceId: string; spanId: string }> }> }>;
          }>;
        };
        for (const rs of body.resourceSpans ?? []) {
          const resource = attributesOf(rs.resource?.attributes);
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              received.push({
                traceId: hexId(s.traceId)!,
                spanId: hexId(s.spanId)!,
                parentSpanId: hexId(s.parentSpanId),
                name: s.name,
                attributes: attributesOf(s.attributes),
                resource,
                links: (s.links ?? []).map((l) => ({ traceId: hexId(l.traceId)!, spanId: hexId(l.spanId)! })),
              });
            }
          }
        }
        return Response.json({});
      }
      if (path === "/v1/metrics") return Response.json({});
      return new Response("not found", { status: 404 });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    spans: () => [...received],
    stop: async () => {
      await server.stop(true);
    },
  };
}
