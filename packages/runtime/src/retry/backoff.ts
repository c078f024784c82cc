/** How a delay grows between attempts: `initialMs × factorⁿ`, capped at `maxMs`. */
export interface BackoffOptions {
  /** The first delay. */
  initialMs: number;
  /** The cap. */
  maxMs: number;
  /** The growth per attempt. @default 2 */
  factor?: number;
}

/** The delay before retry number `attempt` (0 for the first retry): `initialMs × factor^attempt`, capped. */
export function backoffDelay(attempt: number, o: BackoffOptions): number {
  const n = Math.max(0, Math.floor(attempt));
  const d = o.initialMs * (o.factor ?? 2) ** n;
  return Number.isFinite(d) ? Math.min(d, o.maxMs) : o.maxMs;
}

/**
 * Exponential backoff with state, for retry loops: `next()` gives the delay to wait now and grows the one
 * after; `reset()` after a success starts again from `initialMs`. The one backoff of the runtimes (the payload
 * dispatcher's per-offer delays use {@link backoffDelay}).
 */
export class Backoff {
  private attempt = 0;

  constructor(private readonly o: BackoffOptions) {}

  /** The delay to wait before this retry; the next call returns the grown one. */
  next(): number {
    return backoffDelay(this.attempt++, this.o);
  }

  /** The delay the next call of `next()` will return. */
  peek(): number {
    return backoffDelay(this.attempt, this.o);
  }

  /** Back to `initialMs` (after a success). */
  reset(): void {
    this.attempt = 0;
  }

  /** Waits the next delay; resolves early (without error) when `signal` aborts. */
  wait(signal?: AbortSignal): Promise<void> {
    return sleep(this.next(), signal);
  }
}

/** Resolves after `ms`, or early (without error) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
