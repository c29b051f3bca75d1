import swaggerUiCss from "swagger-ui-dist/swagger-ui.css" with { type: "text" };
import swaggerUiBundle from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "text" };
import * as v from "valibot";
import { defineRoute, type ApiRoute, type RouteSpec } from "../apiRoute.ts";
import { buildOpenApiDocument, type OpenApiInfo } from "./buildOpenApiDocument.ts";

const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>tasker API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", validatorUrl: null, deepLinking: true });
  </script>
</body>
</html>
`;

const text = v.string();

/**
 * `/openapi.json` (built once, from the routes' own schemas) and `/docs`, Swagger UI
 * served from files embedded in the binary: public, and no internet needed.
 */
export function createOpenApiRoutes(apiRoutes: readonly RouteSpec[], info: OpenApiInfo): ApiRoute[] {
  const docsRoutes = [
    defineRoute(
      {
        method: "get",
        path: "/openapi.json",
        operationId: "getOpenApiDocument",
        summary: "This document (OpenAPI 3.1)",
        tag: "docs",
        responses: { 200: { description: "The OpenAPI document", schema: v.record(v.string(), v.unknown()) } },
      },
      ({ c }) => c.json(document),
    ),
    defineRoute(
      {
        method: "get",
        path: "/docs",
        operationId: "getDocsPage",
        summary: "Interactive API documentation (Swagger UI, served offline)",
        tag: "docs",
        responses: { 200: { description: "HTML page", schema: text, contentType: "text/html" } },
      },
      ({ c }) => c.html(DOCS_PAGE),
    ),
    defineRoute(
      {
        method: "get",
        path: "/docs/swagger-ui.css",
        operationId: "getDocsStylesheet",
        summary: "Swagger UI stylesheet",
        tag: "docs",
        responses: { 200: { description: "CSS", schema: text, contentType: "text/css" } },
      },
      ({ c }) => c.body(swaggerUiCss, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "public, max-age=86400" }),
    ),
    defineRoute(
      {
        method: "get",
        path: "/docs/swagger-ui-bundle.js",
        operationId: "getDocsScript",
        summary: "Swagger UI script",
        tag: "docs",
        responses: { 200: { description: "JavaScript", schema: text, contentType: "text/javascript" } },
      },
      ({ c }) =>
        c.body(swaggerUiBundle, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=86400" }),
    ),
  ];
  const document = buildOpenApiDocument([...apiRoutes, ...docsRoutes], info);
  return docsRoutes;
}
