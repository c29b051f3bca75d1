import * as v from "valibot";
import type { Permission } from "../lib/permissions.ts";
import { defineRoute, type ApiRoute } from "./apiRoute.ts";

const ConfigViewSchema = v.looseObject({
  metadata: v.looseObject({ role: v.string(), environment: v.string(), version: v.string(), process_id: v.string(), timestamp: v.string() }),
});

/**
 * `GET /config`: the role's effective configuration, secrets masked (config/configView.ts).
 * Mounted only when web.config_endpoint_enabled is true; needs system:config_read
 * (worker:config_read on a worker) when auth is on.
 */
export function createConfigRoutes(deps: { view: () => Record<string, unknown>; permission: Permission }): ApiRoute[] {
  return [
    defineRoute(
      {
        method: "get",
        path: "/config",
        operationId: "getConfig",
        summary: "The effective configuration of this process, secrets masked",
        tag: "config",
        permission: deps.permission,
        responses: { 200: { description: "Configuration", schema: ConfigViewSchema } },
      },
      ({ c }) => c.json(deps.view()),
    ),
  ];
}
