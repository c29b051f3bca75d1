import { createHash, timingSafeEqual } from "node:crypto";

export interface ApiKeyGrant {
  key: string;
  permissions: readonly string[];
  description?: string;
}

const digest = (text: string): Buffer => createHash("sha256").update(text).digest();

/**
 * Looks up an API key in constant time per configured key (comparing SHA-256
 * digests, so lengths do not leak). Returns the grant, or undefined.
 */
export function createApiKeyVerifier(keys: readonly ApiKeyGrant[]) {
  const known = keys.map((k) => ({ digest: digest(k.key), permissions: k.permissions, description: k.description ?? "" }));
  return (presented: string): { permissions: readonly string[]; description: string } | undefined => {
    const candidate = digest(presented);
    let found: (typeof known)[number] | undefined;
    for (const entry of known) if (timingSafeEqual(entry.digest, candidate)) found ??= entry;
    return found;
  };
}
