import { grants, type Permission } from "../../lib/permissions.ts";
import type { Authenticator } from "../auth/createAuthenticator.ts";

/** What the caller of a dashboard fragment may do: the views show an action only when `can` says so. */
export interface DashboardAccess {
  can(permission: Permission): boolean;
  /** Who acts (an API key's description or a JWT's subject), recorded by operator actions. */
  actor: string;
}

/**
 * Authorizes a fragment request with the API's own authenticator and the permission of the
 * API route whose data it shows (401/403 envelopes as on /v1). With auth off everything is allowed.
 */
export async function authorizeFragment(authenticator: Authenticator, headers: Headers, required: Permission): Promise<DashboardAccess> {
  if (!authenticator.enabled) return { can: () => true, actor: "dashboard" };
  const principal = await authenticator.authorize(headers, required);
  return { can: (permission) => grants(principal.permissions, permission), actor: principal.subject ?? "dashboard" };
}
