import type { MiddlewareHandler } from "hono";
import { TaskerError } from "../lib/errors.ts";

/** 408 `TIMEOUT` when the rest of the chain has not answered within `timeoutMs`. */
export function requestTimeout(timeoutMs: number): MiddlewareHandler {
  return async (_c, next) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TaskerError("TIMEOUT", "Request timeout")), timeoutMs);
    });
    try {
      await Promise.race([next(), expired]);
    } finally {
      clearTimeout(timer);
    }
  };
}
