import { ErrorType } from "./errorType.ts";
import { StepHandler } from "./stepHandler.ts";
import { StepHandlerResult } from "./stepHandlerResult.ts";

/** Statuses worth another attempt: request timeout, rate limit and the transient server errors. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

const ERROR_TYPES: Readonly<Record<number, string>> = {
  400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
  408: "request_timeout", 409: "conflict", 410: "gone", 422: "unprocessable_entity", 429: "rate_limited",
  500: "internal_server_error", 502: "bad_gateway", 503: "service_unavailable", 504: "gateway_timeout",
};

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
  408: "Request Timeout", 409: "Conflict", 410: "Gone", 422: "Unprocessable Entity", 429: "Too Many Requests",
  500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
};

/** An HTTP answer with tasker-core's classification. */
export class ApiResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;

  constructor(statusCode: number, headers: Record<string, string>, body: unknown) {
    this.statusCode = statusCode;
    this.headers = headers;
    this.body = body;
  }

  get ok(): boolean {
    return this.statusCode >= 200 && this.statusCode < 300;
  }

  get isClientError(): boolean {
    return this.statusCode >= 400 && this.statusCode < 500;
  }

  get isServerError(): boolean {
    return this.statusCode >= 500 && this.statusCode < 600;
  }

  get isRetryable(): boolean {
    return RETRYABLE_STATUSES.has(this.statusCode);
  }

  /** `Retry-After` in seconds (an HTTP date counts from now); 60 when present but unreadable; null when absent. */
  get retryAfter(): number | null {
    const value = this.headers["retry-after"];
    if (value === undefined || value === "") return null;
    const seconds = Number(value);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.floor(seconds);
    const at = Date.parse(value);
    return Number.isNaN(at) ? 60 : Math.max(0, Math.ceil((at - Date.now()) / 1000));
  }

  toDict(): Record<string, unknown> {
    return { status_code: this.statusCode, headers: this.headers, body: this.body };
  }
}

export interface ApiSettings {
  baseUrl: string;
  timeoutMs: number;
  headers: Record<string, string>;
}

export interface BodyOptions {
  body?: unknown;
  /** Send the body as JSON (default); false sends it as text. */
  json?: boolean;
  headers?: Record<string, string>;
}

/** The message an error body carries (`error`, `message`, `detail`, ...), if any. */
function bodyMessage(body: unknown): string | null {
  if (typeof body !== "object" || body === null) return null;
  for (const key of ["error", "message", "detail", "error_message", "msg"]) {
    const value = (body as Record<string, unknown>)[key];
    if (typeof value === "string") return value;
    if (typeof value === "object" && value !== null && typeof (value as { message?: unknown }).message === "string") {
      return (value as { message: string }).message;
    }
  }
  return null;
}

/** A query value or text body: strings as they are, anything else as its JSON text. */
const asText = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value));

/** HTTP calls and the results tasker-core builds from them; shared by ApiHandler, applyAPI and defineApiHandler. */
export function createApiClient(settings: () => ApiSettings) {
  const call = async (method: string, path: string, init: { body?: string; headers?: Record<string, string>; params?: Record<string, unknown> }) => {
    const { baseUrl, timeoutMs, headers } = settings();
    let url = baseUrl + path;
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(init.params ?? {})) {
      if (value === null || value === undefined) continue;
      query.append(key, asText(value));
    }
    if (query.size > 0) url += (url.includes("?") ? "&" : "?") + query.toString();
    const response = await fetch(url, {
      method,
      headers: { ...headers, ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let body: unknown = text;
    if ((response.headers.get("content-type") ?? "").includes("application/json")) {
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        body = text;
      }
    }
    return new ApiResponse(response.status, Object.fromEntries(response.headers.entries()), body);
  };
  const withBody = (method: string) => (path: string, options: BodyOptions = {}) => {
    const json = options.json !== false;
    const body = options.body === undefined || options.body === null ? undefined : json ? JSON.stringify(options.body) : asText(options.body);
    return call(method, path, { ...(body === undefined ? {} : { body }), headers: { ...(json ? { "Content-Type": "application/json" } : {}), ...options.headers } });
  };
  return {
    get: (path: string, params?: Record<string, unknown>, headers?: Record<string, string>) =>
      call("GET", path, { ...(params ? { params } : {}), ...(headers ? { headers } : {}) }),
    post: withBody("POST"),
    put: withBody("PUT"),
    patch: withBody("PATCH"),
    delete: (path: string, headers?: Record<string, string>) => call("DELETE", path, headers ? { headers } : {}),
    request: (method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}) => call(method, path, init),

    /** Success with `result`, else the response body (an object as is, anything else as `{ data }`). */
    apiSuccess(response: ApiResponse, result?: Record<string, unknown>, includeResponse = true): StepHandlerResult {
      const data = result ?? (typeof response.body === "object" && response.body !== null ? (response.body as Record<string, unknown>) : { data: response.body });
      return StepHandlerResult.success(data, includeResponse ? { status_code: response.statusCode, headers: response.headers } : {});
    },

    /** A failure classified by status: retryable for 408, 429, 500, 502-504 (honouring Retry-After), permanent otherwise. */
    apiFailure(response: ApiResponse, message?: string): StepHandlerResult {
      const status = response.statusCode;
      const errorType = ERROR_TYPES[status] ?? (response.isClientError ? "client_error" : response.isServerError ? "server_error" : "http_error");
      const text = message ?? `HTTP ${status}: ${bodyMessage(response.body) ?? STATUS_TEXT[status] ?? "HTTP Error"}`;
      const metadata: Record<string, unknown> = { status_code: status, headers: response.headers };
      const after = response.retryAfter;
      if (after !== null) metadata["retry_after_seconds"] = after;
      if (response.body) metadata["response_body"] = response.body;
      return StepHandlerResult.failure(text, errorType, response.isRetryable, metadata);
    },

    connectionError(error: Error, context?: string): StepHandlerResult {
      const where = context ? ` while ${context}` : "";
      return StepHandlerResult.failure(`Connection error${where}: ${error.message}`, "connection_error", true, { exception_type: error.constructor.name });
    },

    timeoutError(error: Error, context?: string): StepHandlerResult {
      const where = context ? ` while ${context}` : "";
      return StepHandlerResult.failure(`Request timeout${where}: ${error.message}`, ErrorType.TIMEOUT, true, { exception_type: error.constructor.name });
    },
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

type ApiStatics = { baseUrl?: string; defaultTimeout?: number; defaultHeaders?: Record<string, string> };

const settingsOf = (ctor: ApiStatics) => (): ApiSettings => ({
  baseUrl: ctor.baseUrl ?? "",
  timeoutMs: ctor.defaultTimeout ?? 30_000,
  headers: ctor.defaultHeaders ?? {},
});

/**
 * tasker-core's `ApiHandler`: HTTP calls against `static baseUrl` (with `defaultTimeout` ms and
 * `defaultHeaders`), and results classified by status (`apiSuccess`, `apiFailure`).
 */
export abstract class ApiHandler extends StepHandler {
  static baseUrl = "";
  static defaultTimeout = 30_000;
  static defaultHeaders: Record<string, string> = {};
  private readonly api: ApiClient = createApiClient(settingsOf(this.constructor as ApiStatics));

  protected get baseUrl(): string {
    return (this.constructor as ApiStatics).baseUrl ?? "";
  }
  protected get(path: string, params?: Record<string, unknown>, headers?: Record<string, string>): Promise<ApiResponse> {
    return this.api.get(path, params, headers);
  }
  protected post(path: string, options?: BodyOptions): Promise<ApiResponse> {
    return this.api.post(path, options);
  }
  protected put(path: string, options?: BodyOptions): Promise<ApiResponse> {
    return this.api.put(path, options);
  }
  protected patch(path: string, options?: BodyOptions): Promise<ApiResponse> {
    return this.api.patch(path, options);
  }
  protected delete(path: string, headers?: Record<string, string>): Promise<ApiResponse> {
    return this.api.delete(path, headers);
  }
  protected apiSuccess(response: ApiResponse, result?: Record<string, unknown>, includeResponse = true): StepHandlerResult {
    return this.api.apiSuccess(response, result, includeResponse);
  }
  protected apiFailure(response: ApiResponse, message?: string): StepHandlerResult {
    return this.api.apiFailure(response, message);
  }
  protected connectionError(error: Error, context?: string): StepHandlerResult {
    return this.api.connectionError(error, context);
  }
  protected timeoutError(error: Error, context?: string): StepHandlerResult {
    return this.api.timeoutError(error, context);
  }
}

/** tasker-core's mixin form: gives any handler instance the ApiHandler methods, configured from its class's statics. */
export function applyAPI<T extends object>(target: T): T & ApiClient {
  return Object.assign(target, createApiClient(settingsOf(target.constructor as ApiStatics)));
}
