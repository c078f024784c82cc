/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this long. @default 5000 */
  timeoutMs?: number;
  /** Pause between two calls of `fn`. @default 50 */
  intervalMs?: number;
  /** Start of the error message thrown at the deadline. @default 'waitFor: condition not met' */
  message?: string;
}

/**
 * Polls `fn` until it returns a truthy value and resolves with that value. A throw from `fn` counts as "not yet";
 * at the deadline the error names the message, the time waited and the last error (also kept as `cause`).
 */
export async function waitFor<T>(fn: () => T | Promise<T>, opts: WaitForOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      const value = await fn();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() + intervalMs > deadline) break;
    await sleep(intervalMs);
  }
  const reason = lastError === undefined ? 'last result was falsy' : `last error: ${describe(lastError)}`;
  const head = opts.message ?? 'waitFor: condition not met';
  const message = `${head} (after ${timeoutMs} ms, ${attempts} attempts; ${reason})`;
  throw lastError === undefined ? new Error(message) : new Error(message, { cause: lastError });
}

/** A promise resolving after `ms` milliseconds (for pacing loops; tests should wait on conditions instead). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
