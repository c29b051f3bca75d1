import type {
  DlqEntry,
  DlqListQuery,
  DlqUpdate,
  DlqUpdateResponse,
  StepExplanation,
  StepManualAction,
  StepResponse,
  TaskListQuery,
  TaskListResponse,
  TaskRequest,
  TaskResponse,
  TemplateDetail,
  TemplateListResponse,
} from "./apiTypes.ts";
import { TaskerApiError } from "./taskerApiError.ts";

export const DEFAULT_TASKER_URL = "http://127.0.0.1:8080";
export const DEFAULT_API_KEY_HEADER = "X-API-Key";
const DEFAULT_TIMEOUT_MS = 30_000;

export interface TaskerClientOptions {
  /** Base URL of an orchestration (or combined) process, e.g. http://127.0.0.1:8080. */
  url: string;
  apiKey?: string | undefined;
  /** Header carrying the API key (default X-API-Key). */
  apiKeyHeader?: string | undefined;
  /** A JWT sent as `Authorization: Bearer`; wins over the API key. */
  token?: string | undefined;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

type Query = Record<string, string | number | undefined>;

const seg = (value: string): string => encodeURIComponent(value);

function queryString(query: Query | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : "";
}

function envelopeOf(body: unknown): { code: string; message: string } | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== "object" || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return typeof code === "string" ? { code, message: typeof message === "string" ? message : "" } : undefined;
}

/** A typed client for the tasker REST API (reference section 7), on web fetch. */
export function createTaskerClient(options: TaskerClientOptions) {
  const base = options.url.replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  function headers(hasBody: boolean): Record<string, string> {
    const result: Record<string, string> = { accept: "application/json" };
    if (hasBody) result["content-type"] = "application/json";
    if (options.token) result["authorization"] = `Bearer ${options.token}`;
    else if (options.apiKey) result[options.apiKeyHeader ?? DEFAULT_API_KEY_HEADER] = options.apiKey;
    return result;
  }

  async function request<T>(method: string, path: string, init: { body?: unknown; query?: Query } = {}): Promise<T> {
    const url = `${base}${path}${queryString(init.query)}`;
    let response: Response;
    try {
      response = await doFetch(url, {
        method,
        headers: headers(init.body !== undefined),
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      if (error instanceof Error && error.name === "TimeoutError") {
        throw new TaskerApiError("TIMEOUT", `${method} ${url} got no answer within ${timeoutMs} ms`, { cause: error });
      }
      const why = error instanceof Error ? error.message : String(error);
      throw new TaskerApiError("NETWORK_ERROR", `cannot reach ${base} (${method} ${path}): ${why}`, { cause: error });
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      const envelope = envelopeOf(body);
      const status = response.status;
      if (envelope) throw new TaskerApiError(envelope.code, envelope.message, { status });
      const snippet = text.trim().slice(0, 200);
      throw new TaskerApiError(`HTTP_${status}`, `${method} ${path} answered ${status}${snippet ? `: ${snippet}` : ""}`, {
        status,
      });
    }
    if (body === undefined) {
      throw new TaskerApiError("BAD_RESPONSE", `${method} ${path} answered ${response.status} without a JSON body`, {
        status: response.status,
      });
    }
    return body as T;
  }

  const stepPath = (taskUuid: string, stepUuid: string) => `/v1/tasks/${seg(taskUuid)}/workflow_steps/${seg(stepUuid)}`;

  return {
    url: base,
    request,
    createTask: (body: TaskRequest) => request<TaskResponse>("POST", "/v1/tasks", { body }),
    getTask: (taskUuid: string) => request<TaskResponse>("GET", `/v1/tasks/${seg(taskUuid)}`),
    listTasks: (query: TaskListQuery = {}) => request<TaskListResponse>("GET", "/v1/tasks", { query: { ...query } }),
    cancelTask: (taskUuid: string) => request<TaskResponse>("DELETE", `/v1/tasks/${seg(taskUuid)}`),
    listSteps: (taskUuid: string) => request<StepResponse[]>("GET", `/v1/tasks/${seg(taskUuid)}/workflow_steps`),
    getStep: (taskUuid: string, stepUuid: string) => request<StepResponse>("GET", stepPath(taskUuid, stepUuid)),
    actOnStep: (taskUuid: string, stepUuid: string, action: StepManualAction) =>
      request<StepResponse>("PATCH", stepPath(taskUuid, stepUuid), { body: action }),
    explainStep: (taskUuid: string, stepUuid: string) =>
      request<StepExplanation>("GET", `${stepPath(taskUuid, stepUuid)}/explain`),
    listTemplates: (query: { namespace?: string } = {}) =>
      request<TemplateListResponse>("GET", "/v1/templates", { query: { ...query } }),
    getTemplate: (namespace: string, name: string, version: string) =>
      request<TemplateDetail>("GET", `/v1/templates/${seg(namespace)}/${seg(name)}/${seg(version)}`),
    listDlq: (query: DlqListQuery = {}) => request<DlqEntry[]>("GET", "/v1/dlq", { query: { ...query } }),
    getDlqForTask: (taskUuid: string) => request<DlqEntry>("GET", `/v1/dlq/task/${seg(taskUuid)}`),
    updateDlqEntry: (dlqEntryUuid: string, update: DlqUpdate) =>
      request<DlqUpdateResponse>("PATCH", `/v1/dlq/entry/${seg(dlqEntryUuid)}`, { body: update }),
  };
}

export type TaskerClient = ReturnType<typeof createTaskerClient>;
