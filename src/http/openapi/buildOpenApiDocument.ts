import { toJsonSchema } from "@valibot/to-json-schema";
import type { AnySchema, ApiResponse, RouteSpec } from "../apiRoute.ts";
import { ErrorEnvelopeSchema } from "../schemas/commonSchemas.ts";

type Json = Record<string, unknown>;

export interface OpenApiInfo {
  title: string;
  version: string;
  description: string;
  apiKeyHeader: string;
}

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect) of a valibot schema; checks and transforms are left out. */
export function jsonSchemaOf(schema: AnySchema): Json {
  const { $schema: _dialect, ...rest } = toJsonSchema(schema, {
    target: "draft-2020-12",
    typeMode: "input",
    errorMode: "ignore",
  }) as Json;
  return rest;
}

function parametersOf(schema: AnySchema | undefined, where: "path" | "query"): Json[] {
  if (!schema) return [];
  const entries = (schema as unknown as { entries?: Record<string, AnySchema> }).entries ?? {};
  return Object.entries(entries).map(([name, entry]) => {
    const json = jsonSchemaOf(entry);
    const optional = entry.type === "optional" || entry.type === "nullish";
    return {
      name,
      in: where,
      required: where === "path" || !optional,
      ...(typeof json["description"] === "string" ? { description: json["description"] } : {}),
      schema: json,
    };
  });
}

const errorResponse = (description: string): Json => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/ErrorEnvelope" } } },
});

function responseOf(response: ApiResponse): Json {
  if (!response.schema) return { description: response.description };
  return { description: response.description, content: { [response.contentType ?? "application/json"]: { schema: jsonSchemaOf(response.schema) } } };
}

function operationOf(route: RouteSpec): Json {
  const responses: Json = {};
  for (const [status, response] of Object.entries(route.responses)) {
    responses[status] = Number(status) >= 400 && !response.schema ? errorResponse(response.description) : responseOf(response);
  }
  const common: Array<[number, string, boolean]> = [
    [400, "Bad path, query or body (the envelope names the field)", Boolean(route.params ?? route.query ?? route.body)],
    [401, "Missing, malformed, expired or invalid credentials (auth enabled)", route.permission !== undefined],
    [403, `Credentials lack the permission ${route.permission ?? ""}`, route.permission !== undefined],
    [408, "Request timeout", true],
    [413, "Body larger than web.body_limit_bytes", route.body !== undefined],
    [500, "Unexpected error (logged)", true],
  ];
  for (const [status, description, applies] of common) {
    if (applies && responses[String(status)] === undefined) responses[String(status)] = errorResponse(description);
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    parameters: [...parametersOf(route.params, "path"), ...parametersOf(route.query, "query")],
    ...(route.body
      ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchemaOf(route.body) } } } }
      : {}),
    responses,
    security: route.permission ? [{ apiKey: [] }, { bearerAuth: [] }] : [],
    ...(route.permission ? { "x-permission": route.permission } : {}),
  };
}

/** The OpenAPI 3.1 document of the mounted routes, from the same schemas the routes validate with. */
export function buildOpenApiDocument(routes: readonly RouteSpec[], info: OpenApiInfo): Json {
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    paths[route.path] = { ...paths[route.path], [route.method]: operationOf(route) };
  }
  return {
    openapi: "3.1.0",
    info: { title: info.title, version: info.version, description: info.description },
    paths,
    components: {
      schemas: { ErrorEnvelope: jsonSchemaOf(ErrorEnvelopeSchema) },
      securitySchemes: {
        apiKey: { type: "apiKey", in: "header", name: info.apiKeyHeader },
        bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
      },
    },
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
  };
}
