/**
 * The pino-shaped logger tasker-core's SDK classes carry (`this.logger.info({ fields }, "message")`
 * or `this.logger.info("message")`), forwarding to the engine's structured logger once the
 * worker binds one (`bindCompatLogger`). Before that, warnings and errors go to the console
 * and the rest is dropped.
 */
export interface CompatLogger {
  trace(fieldsOrMessage: unknown, message?: string): void;
  debug(fieldsOrMessage: unknown, message?: string): void;
  info(fieldsOrMessage: unknown, message?: string): void;
  warn(fieldsOrMessage: unknown, message?: string): void;
  error(fieldsOrMessage: unknown, message?: string): void;
  fatal(fieldsOrMessage: unknown, message?: string): void;
}

type Level = keyof CompatLogger;
/** What the engine's logger offers (structurally `telemetry/logger.ts`'s `Logger`). */
export type CompatLogSink = Record<Level, (message: string, fields?: Record<string, unknown>) => void>;

let sink: CompatLogSink | null = null;

/** Routes the SDK classes' logging into the engine's logger (called by the worker at start). */
export function bindCompatLogger(target: CompatLogSink | null): void {
  sink = target;
}

function emit(level: Level, component: string, fieldsOrMessage: unknown, message?: string): void {
  const plain = typeof fieldsOrMessage === "object" && fieldsOrMessage !== null && !(fieldsOrMessage instanceof Error);
  const fields: Record<string, unknown> = plain ? { ...(fieldsOrMessage as Record<string, unknown>) } : {};
  if (fieldsOrMessage instanceof Error) fields["error"] = fieldsOrMessage.message;
  const text = message ?? (typeof fieldsOrMessage === "string" ? fieldsOrMessage : fieldsOrMessage instanceof Error ? fieldsOrMessage.message : component);
  fields["component"] = component;
  if (sink) sink[level](text, fields);
  // eslint-disable-next-line no-console -- no engine logger bound (a unit test of a handler): problems still show
  else if (level === "warn" || level === "error" || level === "fatal") console.error(`[${component}] ${text}`, fields);
}

/** A logger whose lines carry `component` (e.g. `domain-events`). */
export function compatLogger(component: string): CompatLogger {
  const at = (level: Level) => (fieldsOrMessage: unknown, message?: string) => emit(level, component, fieldsOrMessage, message);
  return { trace: at("trace"), debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), fatal: at("fatal") };
}
