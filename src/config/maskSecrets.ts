import { deepFreeze } from "./deepFreeze.ts";
import type { TaskerConfig } from "./configSchema.ts";

export const MASK = "****";

const SECRET_NAME = /password|secret|token|api_key$|private_key/i;
/** Fields of tables inside arrays that hold a secret (`web.auth.api_keys[].key`). */
const SECRET_ELEMENT_FIELD = /(^|\.)api_keys\[\]\.key$/;
/** Keys whose value is a URL that may carry credentials (database.url, telemetry.otlp.endpoint). */
const URL_NAME = /(^|_)(url|endpoint)$/i;

/** Whether a dotted key holds a secret as a whole (its value is replaced by `****`). */
export function isSecretKey(key: string): boolean {
  return SECRET_NAME.test(key.slice(key.lastIndexOf(".") + 1)) || SECRET_ELEMENT_FIELD.test(key);
}

/**
 * Hides the password of a URL, and the whole user-info part when the text does not parse
 * cleanly (a malformed URL must not leak its password through an error message).
 */
export function maskUrlCredentials(text: string): string {
  const masked = text.replace(/([?&](?:ssl)?password=)[^&#]*/gi, `$1${MASK}`);
  const at = masked.lastIndexOf("@");
  if (at === -1) return masked;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(masked)?.[0] ?? "";
  const userInfo = masked.slice(scheme.length, at);
  const clean = /^([^:/?#@]*):[^/?#]*$/.exec(userInfo);
  const maskedUserInfo = clean ? `${clean[1]}:${MASK}` : /^[^:/?#@]*$/.test(userInfo) ? userInfo : MASK;
  return `${scheme}${maskedUserInfo}${masked.slice(at)}`;
}

/** The value as it may be printed or logged under `key`. */
export function maskConfigValue(key: string, value: unknown): unknown {
  if (isSecretKey(key)) return MASK;
  if (typeof value === "string" && URL_NAME.test(key.slice(key.lastIndexOf(".") + 1))) return maskUrlCredentials(value);
  return value;
}

/** Like maskConfigValue, for a value that may be a table or an array of tables (masks secrets inside). */
export function maskConfigNode(key: string, node: unknown): unknown {
  return maskNode(node, key);
}

function maskNode(node: unknown, key: string): unknown {
  if (Array.isArray(node) && !isSecretKey(key) && node.some((item) => typeof item === "object" && item !== null)) {
    return node.map((item: unknown) => maskNode(item, `${key}[]`));
  }
  if (typeof node !== "object" || node === null || Array.isArray(node)) return maskConfigValue(key, node);
  const out: Record<string, unknown> = {};
  for (const [name, child] of Object.entries(node)) out[name] = maskNode(child, key === "" ? name : `${key}.${name}`);
  return out;
}

/** A frozen copy safe for logs: URL passwords and keys named like password/secret/token/api_key/private_key, and the `key` of each API key, become `****`. */
export function maskSecrets(config: TaskerConfig): TaskerConfig {
  return deepFreeze(maskNode(config, "") as TaskerConfig);
}
