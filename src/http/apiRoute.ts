import type { Context } from "hono";
import type * as v from "valibot";
import type { Permission } from "../lib/permissions.ts";

export type AnySchema = v.GenericSchema<unknown, unknown>;
type Out<S> = S extends AnySchema ? v.InferOutput<S> : undefined;

export type HttpMethod = "get" | "post" | "patch" | "delete";

export interface ApiResponse {
  description: string;
  /** The body's schema (JSON unless contentType says otherwise); none for an empty or free body. */
  schema?: AnySchema;
  contentType?: string;
}

/** What a route is, independent of Hono: the one source for mounting, validation, auth and OpenAPI. */
export interface RouteSpec {
  method: HttpMethod;
  /** OpenAPI style: `/v1/tasks/{task_uuid}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Required permission when auth is enabled; undefined = public. */
  permission?: Permission;
  params?: AnySchema;
  query?: AnySchema;
  body?: AnySchema;
  /** Success responses (and route-specific errors such as 404/409); the common errors are added by the document. */
  responses: Readonly<Record<number, ApiResponse>>;
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  c: Context;
}

export interface ApiRoute extends RouteSpec {
  handle(input: RouteInput<unknown, unknown, unknown>): Response | Promise<Response>;
}

/**
 * Declares a route; the handler receives params, query and body already parsed by
 * the route's own valibot schemas (the same schemas the OpenAPI document shows).
 */
export function defineRoute<const S extends RouteSpec>(
  spec: S,
  handle: (input: RouteInput<Out<S["params"]>, Out<S["query"]>, Out<S["body"]>>) => Response | Promise<Response>,
): ApiRoute {
  return { ...spec, handle };
}

/** `/v1/tasks/{task_uuid}` → `/v1/tasks/:task_uuid`. */
export function honoPath(path: string): string {
  return path.replace(/\{([a-z_]+)\}/g, ":$1");
}
