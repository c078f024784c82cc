import { backoffDelay } from '@hubspoke/runtime';
import type { Middleware, Result } from './pipeline.js';

/** How a failing payload is offered again. */
export interface RetryOptions {
  /** Offers of one payload before it is dead-lettered. */
  maxDeliveries: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
}

export interface RetryHooks {
  /** True when the replica is stopping: the payload is left for the next owner. */
  stopping(): boolean;
  sleep(ms: number): Promise<void>;
  /** Told of each failed offer that will be retried. */
  onRetry(info: { plugin: string; error: string; deliveryCount: number; retryInMs: number }): void;
}

/**
 * Offers again after a receiver threw or timed out, backing off (`backoffInitialMs` doubling up to
 * `backoffMaxMs`), until `maxDeliveries` offers were made; then the rejection goes out to be dead-lettered.
 * Each offer is recorded before it is made (`beforeOffer`), so its `deliveryCount` holds across replicas.
 */
export function retryStep(o: RetryOptions, hooks: RetryHooks): Middleware {
  return (next) => async (d) => {
    for (let count = d.nextOffer; ; count++) {
      if (hooks.stopping()) return { kind: 'stopped' };
      try {
        const recorded = d.beforeOffer(count);
        if (recorded) await recorded;
      } catch {
        return { kind: 'stopped' };
      }
      d.nextOffer = count;
      const r: Result = await next(d);
      if (r.kind !== 'reject' || !r.retry) return r;
      if (count >= o.maxDeliveries) return { ...r, retry: false, attempts: count };
      const retryInMs = backoffDelay(count - 1, { initialMs: o.backoffInitialMs, maxMs: o.backoffMaxMs });
      hooks.onRetry({ plugin: r.plugin, error: r.reason, deliveryCount: count, retryInMs });
      await hooks.sleep(retryInMs);
    }
  };
}
