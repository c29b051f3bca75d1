import { createRemoteJWKSet, errors, importSPKI, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { readTextFile } from "../../runtime/index.ts";
import { AuthError } from "./authError.ts";

export interface JwtSettings {
  publicKey: string;
  publicKeyPath: string;
  jwksUrl: string;
  issuer: string;
  audience: string;
  algorithms: readonly string[];
}

export type JwtVerifier = (token: string) => Promise<JWTPayload>;

/** One imported key per algorithm the token header names (a PEM key fits one key type). */
function staticKeyResolver(loadPem: () => Promise<string>, algorithms: readonly string[]): JWTVerifyGetKey {
  const keys = new Map<string, ReturnType<typeof importSPKI>>();
  let pem: Promise<string> | undefined;
  return async (header) => {
    const alg = header.alg;
    if (!algorithms.includes(alg)) throw new errors.JOSEAlgNotAllowed(`"alg" ${alg} is not allowed`);
    pem ??= loadPem();
    let key = keys.get(alg);
    if (!key) {
      key = importSPKI(await pem, alg);
      keys.set(alg, key);
    }
    return key;
  };
}

/**
 * Verifies RS256/ES256 (or the configured algorithms) bearer tokens against a static
 * PEM public key or a JWKS endpoint (cached by jose, refetched on an unknown `kid`),
 * checking signature, expiry, `iss` and `aud`. Undefined when no key source is set.
 */
export function createJwtVerifier(settings: JwtSettings): JwtVerifier | undefined {
  let getKey: JWTVerifyGetKey;
  if (settings.jwksUrl !== "") {
    getKey = createRemoteJWKSet(new URL(settings.jwksUrl), { cacheMaxAge: 3_600_000, cooldownDuration: 30_000 });
  } else if (settings.publicKey !== "") {
    getKey = staticKeyResolver(() => Promise.resolve(settings.publicKey), settings.algorithms);
  } else if (settings.publicKeyPath !== "") {
    getKey = staticKeyResolver(() => readTextFile(settings.publicKeyPath), settings.algorithms);
  } else {
    return undefined;
  }
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, getKey, {
        algorithms: [...settings.algorithms],
        ...(settings.issuer !== "" ? { issuer: settings.issuer } : {}),
        ...(settings.audience !== "" ? { audience: settings.audience } : {}),
      });
      return payload;
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new AuthError("expired", "Invalid or expired token");
      if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
        throw new AuthError("malformed", "Malformed bearer token");
      }
      if (error instanceof errors.JOSEError) throw new AuthError("invalid", "Invalid or expired token");
      // A key that cannot be loaded (unreadable file, bad PEM, JWKS down) is a server problem.
      throw error;
    }
  };
}
