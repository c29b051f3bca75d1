import type { TaskerConfig } from "../../config/index.ts";
import { grants, type Permission } from "../../lib/permissions.ts";
import { createApiKeyVerifier } from "./apiKeyVerifier.ts";
import { AuthError } from "./authError.ts";
import { createJwtVerifier } from "./jwtVerifier.ts";

/** Who made a request and what they may do. */
export interface Principal {
  method: "disabled" | "api_key" | "jwt";
  subject: string | undefined;
  permissions: readonly string[];
}

export interface Authenticator {
  readonly enabled: boolean;
  /** Checks the credentials of a request against `required`; throws AuthError (401/403). */
  authorize(headers: Headers, required: Permission): Promise<Principal>;
}

const DISABLED: Principal = { method: "disabled", subject: undefined, permissions: [] };

/**
 * Credentials in tasker-core's order: `Authorization: Bearer <JWT>`, else the API key
 * header. No credentials → 401 `missing`; a valid principal without the route's
 * permission (directly or as `resource:*`) → 403.
 */
export function createAuthenticator(auth: TaskerConfig["web"]["auth"]): Authenticator {
  if (!auth.enabled) return { enabled: false, authorize: () => Promise.resolve(DISABLED) };
  const verifyJwt = createJwtVerifier({
    publicKey: auth.jwt_public_key,
    publicKeyPath: auth.jwt_public_key_path,
    jwksUrl: auth.jwks_url,
    issuer: auth.jwt_issuer,
    audience: auth.jwt_audience,
    algorithms: auth.jwt_algorithms,
  });
  const findApiKey = createApiKeyVerifier(auth.api_keys);
  const claim = auth.permissions_claim;

  async function authenticate(headers: Headers): Promise<Principal> {
    const authorization = headers.get("authorization");
    if (authorization !== null) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (!match) throw new AuthError("malformed", "Malformed Authorization header: expected `Bearer <token>`");
      if (!verifyJwt) throw new AuthError("invalid", "Bearer tokens are not accepted: no JWT key is configured");
      const payload = await verifyJwt(match[1]!);
      const permissions = payload[claim];
      return {
        method: "jwt",
        subject: payload.sub,
        permissions: Array.isArray(permissions) ? permissions.filter((p): p is string => typeof p === "string") : [],
      };
    }
    const key = headers.get(auth.api_key_header);
    if (key !== null) {
      const grant = findApiKey(key);
      if (!grant) throw new AuthError("invalid", "Invalid API key");
      return { method: "api_key", subject: grant.description || undefined, permissions: grant.permissions };
    }
    throw new AuthError("missing", "Missing authentication credentials");
  }

  return {
    enabled: true,
    async authorize(headers, required) {
      const principal = await authenticate(headers);
      if (!grants(principal.permissions, required)) {
        throw new AuthError("forbidden", `Missing required permission: ${required}`);
      }
      return principal;
    },
  };
}
