/**
 * A count of free slots shared by several consumers (a worker serving many
 * namespaces runs at most `max` handlers in total). Consumers that found it full
 * are told when a slot frees.
 */
export interface ConcurrencyLimit {
  readonly max: number;
  available(): number;
  tryAcquire(): boolean;
  release(): void;
  /** Called after every release; returns an unregister function. */
  onRelease(listener: () => void): () => void;
}

export function createConcurrencyLimit(max: number): ConcurrencyLimit {
  let inUse = 0;
  const listeners = new Set<() => void>();
  return {
    max,
    available: () => max - inUse,
    tryAcquire() {
      if (inUse >= max) return false;
      inUse += 1;
      return true;
    },
    release() {
      inUse = Math.max(0, inUse - 1);
      for (const listener of listeners) listener();
    },
    onRelease(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
