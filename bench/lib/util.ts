// Small helpers shared by the bench's parent and worker processes.
import { Buffer } from 'node:buffer';
import { setImmediate as immediate, setTimeout as sleep } from 'node:timers/promises';

/**
 * Wall-clock milliseconds with sub-millisecond resolution, comparable across processes of one machine
 * (performance.timeOrigin is the process start on the wall clock; performance.now() is monotonic from there).
 */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** A payload of `size` bytes (at least 8) whose first 8 bytes are the publisher's `now()`, float64 LE. */
export function stampedPayload(size: number): Buffer {
  const b = Buffer.allocUnsafe(Math.max(8, size));
  b.fill(0x61, 8);
  b.writeDoubleLE(now(), 0);
  return b;
}

/** The publisher's timestamp written by {@link stampedPayload}. */
export function readStamp(data: Uint8Array): number {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).readDoubleLE(0);
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Percentile (0..100) of the first `n` values of `xs`, nearest rank. */
export function percentile(xs: Float64Array, n: number, p: number): number {
  if (n === 0) return NaN;
  const s = xs.subarray(0, n).slice().sort();
  const i = Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1));
  return s[i] as number;
}

/**
 * Sends `count` messages with `send(i)`: as fast as possible in batches (yielding to I/O between batches), or,
 * with `rate` (msg/s), paced on a 1 ms timer. Resolves with the elapsed milliseconds.
 */
export async function pump(count: number, send: (i: number) => void, rate?: number, batch = 500): Promise<number> {
  const t0 = now();
  let i = 0;
  if (rate && rate > 0) {
    while (i < count) {
      const due = Math.min(count, Math.floor(((now() - t0) / 1000) * rate) + 1);
      for (; i < due; i++) send(i);
      if (i < count) await sleep(1);
    }
  } else {
    while (i < count) {
      const end = Math.min(count, i + batch);
      for (; i < end; i++) send(i);
      await immediate();
    }
  }
  return now() - t0;
}

/** Collects what one receiving process saw in one round. */
export class Tally {
  received = 0;
  first = 0;
  last = 0;
  private readonly lat: Float64Array;
  private lastActivity = now();
  private resolve: (() => void) | undefined;
  readonly done: Promise<void>;

  constructor(
    readonly expected: number,
    keepLatency: boolean,
  ) {
    this.lat = new Float64Array(keepLatency ? expected : 0);
    this.done = new Promise((r) => (this.resolve = r));
    if (expected === 0) this.resolve?.();
  }

  /** Records one message published at `stamp` (ms, from {@link now}). */
  hit(stamp: number): void {
    const t = now();
    if (this.received === 0) this.first = t;
    this.last = t;
    if (this.received < this.lat.length) this.lat[this.received] = t - stamp;
    if (++this.received === this.expected) this.resolve?.();
  }

  /** Resolves when all arrived, or when nothing arrived for `idleMs`. */
  async wait(idleMs: number): Promise<TallyResult> {
    this.lastActivity = now();
    let seen = this.received;
    const timer = setInterval(() => {
      if (this.received !== seen) {
        seen = this.received;
        this.lastActivity = now();
      } else if (now() - this.lastActivity > idleMs) this.resolve?.();
    }, 100);
    await this.done;
    clearInterval(timer);
    const n = Math.min(this.received, this.lat.length);
    return {
      received: this.received,
      expected: this.expected,
      first: this.first,
      last: this.last,
      p50: n ? percentile(this.lat, n, 50) : undefined,
      p99: n ? percentile(this.lat, n, 99) : undefined,
    };
  }
}

export interface TallyResult {
  received: number;
  expected: number;
  /** now() of the first and last message received. */
  first: number;
  last: number;
  /** One-way latency in ms (receive time minus the publisher's stamp), when kept. */
  p50?: number | undefined;
  p99?: number | undefined;
}
