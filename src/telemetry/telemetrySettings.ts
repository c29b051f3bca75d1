/** The [telemetry] section as the telemetry domain needs it (a structural subset of TaskerConfig). */
export interface TelemetrySettings {
  readonly enabled: boolean;
  readonly service_name: string;
  readonly service_version: string;
  readonly otlp: {
    readonly endpoint: string;
    readonly protocol: "http/protobuf" | "http/json";
    readonly timeout_seconds: number;
    readonly batch_size_limit: number;
  };
  readonly sampling: { readonly strategy: "parent_based_always_on" | "trace_id_ratio"; readonly ratio: number };
  readonly spans: { readonly max_attributes: number; readonly max_events: number; readonly max_links: number };
  readonly metrics: { readonly enabled: boolean; readonly otlp_export: boolean; readonly export_interval_seconds: number };
}
