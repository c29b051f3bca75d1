/**
 * The `resource:action` permission vocabulary of the HTTP API (tasker-core's, reference 7.6).
 * A grant may also be `resource:*` (every action of that resource); there is no global `*`.
 */
export const PERMISSIONS = [
  "tasks:create",
  "tasks:read",
  "tasks:list",
  "tasks:cancel",
  "tasks:context_read",
  "steps:read",
  "steps:resolve",
  "dlq:read",
  "dlq:update",
  "dlq:stats",
  "templates:read",
  "templates:validate",
  "system:config_read",
  "system:handlers_read",
  "system:analytics_read",
  "worker:config_read",
  "worker:templates_read",
] as const;

export type Permission = (typeof PERMISSIONS)[number];

const RESOURCES = new Set(PERMISSIONS.map((p) => p.slice(0, p.indexOf(":"))));
const KNOWN = new Set<string>(PERMISSIONS);

/** Whether a string is a permission of the vocabulary or a `resource:*` wildcard of a known resource. */
export function isKnownGrant(grant: string): boolean {
  if (KNOWN.has(grant)) return true;
  return grant.endsWith(":*") && RESOURCES.has(grant.slice(0, -2));
}

/** Whether the grants include `required`, directly or through `resource:*`. */
export function grants(granted: readonly string[], required: Permission): boolean {
  const wildcard = `${required.slice(0, required.indexOf(":"))}:*`;
  return granted.some((g) => g === required || g === wildcard);
}
