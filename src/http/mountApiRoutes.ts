import type { Hono } from "hono";
import { honoPath, type ApiRoute } from "./apiRoute.ts";
import type { Authenticator } from "./auth/createAuthenticator.ts";
import { parsePart, readJsonBody } from "./requestInput.ts";

/**
 * Registers each route on Hono: authorization first (before the body is read, as in
 * tasker-core), then path, query and body parsed by the route's schemas; any
 * failure is thrown to the app's one onError.
 */
export function mountApiRoutes(app: Hono, routes: readonly ApiRoute[], authenticator: Authenticator): void {
  for (const route of routes) {
    app.on(route.method.toUpperCase(), honoPath(route.path), async (c) => {
      if (route.permission !== undefined && authenticator.enabled) {
        await authenticator.authorize(c.req.raw.headers, route.permission);
      }
      const params = route.params ? parsePart(route.params, c.req.param(), "path") : undefined;
      const query = route.query ? parsePart(route.query, c.req.query(), "query") : undefined;
      const body = route.body ? parsePart(route.body, await readJsonBody(c), "body") : undefined;
      return route.handle({ params, query, body, c });
    });
  }
}
