import { ErrorCode, HubspokeError, type Context } from '@hubspoke/sdk';
import type { Breaker } from './breaker.js';

/** One plugin's hook, bound once when the chain is compiled. */
export interface Hook<A, R> {
  readonly plugin: string;
  readonly ctx: Context;
  readonly breaker: Breaker;
  readonly fn: (ctx: Context, arg: A) => Promise<R> | R;
}

/**
 * Calls a hook with a deadline, through its plugin's breaker. Rejects with `HS_ERR_PLUGIN` naming the plugin and
 * the step when it throws, misses the deadline, or its breaker is open. A hook that answers synchronously (or
 * with an already settled promise) costs no timer.
 */
export function callHook<A, R>(hook: Hook<A, R>, step: string, arg: A, ms: number): Promise<R> {
  if (!hook.breaker.allow()) {
    return Promise.reject(
      new HubspokeError(ErrorCode.Plugin, `plugin ${hook.plugin}: ${step} refused: its circuit breaker is open`),
    );
  }
  let r: Promise<R> | R;
  try {
    r = hook.fn(hook.ctx, arg);
  } catch (err) {
    hook.breaker.failure();
    return Promise.reject(failed(hook.plugin, step, err));
  }
  if (!(r instanceof Promise)) {
    hook.breaker.success();
    return Promise.resolve(r);
  }
  return new Promise<R>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      hook.breaker.failure();
      reject(new HubspokeError(ErrorCode.Plugin, `plugin ${hook.plugin}: ${step} did not answer within ${ms} ms`));
    }, ms);
    r.then(
      (v) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        hook.breaker.success();
        resolve(v);
      },
      (err: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        hook.breaker.failure();
        reject(failed(hook.plugin, step, err));
      },
    );
  });
}

function failed(plugin: string, step: string, err: unknown): HubspokeError {
  return new HubspokeError(
    ErrorCode.Plugin,
    `plugin ${plugin}: ${step} failed: ${(err as Error)?.message ?? String(err)}`,
    { cause: err },
  );
}
