import type { TaskerConfig } from "./configSchema.ts";
import { maskSecrets } from "./maskSecrets.ts";

export interface ConfigViewMetadata {
  role: string;
  environment: string;
  version: string;
  process_id: string;
}

/**
 * What `GET /config` shows: the effective configuration with every secret masked as in
 * `tasker config check` (URL passwords, keys named like password/secret/token/api_key), API
 * keys reduced to their count and permissions, and the JWT verification key to whether one is
 * set. Nothing here may carry a secret: it is served over HTTP.
 */
export function configView(config: TaskerConfig, metadata: ConfigViewMetadata): Record<string, unknown> {
  const masked = maskSecrets(config);
  const { auth } = masked.web;
  const verificationMethod = auth.jwks_url !== "" ? "jwks" : auth.jwt_public_key !== "" || auth.jwt_public_key_path !== "" ? "public_key" : "none";
  return {
    metadata: { ...metadata, timestamp: new Date().toISOString() },
    ...masked,
    web: {
      ...masked.web,
      auth: {
        enabled: auth.enabled,
        api_key_header: auth.api_key_header,
        api_key_count: auth.api_keys.length,
        api_key_permissions: auth.api_keys.map((k) => k.permissions),
        verification_method: verificationMethod,
        jwks_url: auth.jwks_url,
        jwt_issuer: auth.jwt_issuer,
        jwt_audience: auth.jwt_audience,
        jwt_algorithms: auth.jwt_algorithms,
        permissions_claim: auth.permissions_claim,
      },
    },
  };
}
