import { capabilities, type Context, type EdgeService } from '@hubspoke/sdk';
import {
  TELEMETRY_PAYLOAD_TYPE,
  collectorMethod,
  encodeTelemetry,
  type HostedPlugin,
  type TelemetryRecord,
} from '@hubspoke/runtime';
import type { Logger as Pino } from 'pino';
import type { Breaker } from './breaker.js';
import { callHook, type Hook } from './call.js';

/** Counters of the telemetry path (metrics). */
export interface TelemetryCounters {
  /** Records produced (every kind). */
  records: number;
  /** Records dropped because the queue to the control plane was full. */
  dropped: number;
  /** Records handed to the durable payload channel. */
  sent: number;
  /** Collector calls that threw or missed their deadline at the edge (fail open: logged, counted). */
  collectorErrors: number;
}

export interface TelemetryOptions {
  hosted: readonly HostedPlugin[];
  breakerOf: (plugin: string) => Breaker;
  hookTimeoutMs: number;
  /** The durable payload channel, or undefined to keep records at the edge. */
  send: EdgeService['sendToControl'] | undefined;
  queueSize: number;
  batchSize: number;
  flushMs: number;
  /** The largest payload the channel takes (a batch stays below it). */
  maxBatchBytes: number;
  log: Pino;
}

type CollectorFn = (ctx: Context, r: unknown) => Promise<void>;

/**
 * Where a request's records go: to each of the edge's DataCollectors (after the response, off its path, fail
 * open), and into a bounded queue that leaves in batches over the durable payload channel (`sendToControl`, so
 * the outbox keeps them through a hub outage). A batch that cannot be sent is kept and tried again; records
 * arriving at a full queue are dropped and counted, never silently.
 */
export class Telemetry {
  readonly counters: TelemetryCounters = { records: 0, dropped: 0, sent: 0, collectorErrors: 0 };
  private readonly collectors: Record<TelemetryRecord['kind'], Hook<unknown, void>[]> = {
    log: [],
    analytics: [],
    budget: [],
  };
  private queue: TelemetryRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private retryMs = 100;
  private closed = false;

  constructor(private readonly o: TelemetryOptions) {
    for (const h of o.hosted) {
      const p = h.plugin as unknown as Record<string, unknown>;
      if (!capabilities.isDataCollector(p)) continue;
      for (const kind of ['log', 'analytics', 'budget'] as const) {
        const m = p[collectorMethod(kind)];
        if (typeof m === 'function') {
          this.collectors[kind].push({
            plugin: h.name,
            ctx: h.ctx,
            // Collectors have a breaker of their own: their successes must not close a request hook's.
            breaker: o.breakerOf(`${h.name}#collector`),
            fn: (m as CollectorFn).bind(p),
          });
        }
      }
    }
  }

  /** Records waiting for the control plane. */
  get depth(): number {
    return this.queue.length;
  }

  /** Takes one record: the edge's collectors get it now (not awaited), the control plane in a batch. */
  emit(rec: TelemetryRecord): void {
    this.counters.records++;
    for (const hook of this.collectors[rec.kind]) {
      callHook(hook, collectorMethod(rec.kind), rec.record, this.o.hookTimeoutMs).catch((err: unknown) => {
        this.counters.collectorErrors++;
        this.o.log.warn({ err: String(err), plugin: hook.plugin }, 'data collector failed (fail open)');
      });
    }
    if (!this.o.send || this.closed) return;
    if (this.queue.length >= this.o.queueSize) {
      this.counters.dropped++;
      if ((this.counters.dropped & (this.counters.dropped - 1)) === 0)
        this.o.log.warn({ dropped: this.counters.dropped }, 'telemetry queue full: records dropped');
      return;
    }
    this.queue.push(rec);
    if (this.queue.length >= this.o.batchSize) this.flushSoon(0);
    else this.flushSoon(this.o.flushMs);
  }

  private flushSoon(ms: number): void {
    if (this.sending) return;
    if (this.timer && ms > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sending = this.flush().finally(() => {
        this.sending = undefined;
        if (this.queue.length > 0 && !this.closed)
          this.flushSoon(this.queue.length >= this.o.batchSize ? 0 : this.o.flushMs);
      });
    }, ms);
  }

  /** Sends batches until the queue is empty or a send fails (then waits, doubling up to 5 s). */
  private async flush(): Promise<void> {
    const send = this.o.send;
    if (!send) return;
    while (this.queue.length > 0) {
      let n = Math.min(this.queue.length, this.o.batchSize);
      let bytes = encodeTelemetry(this.queue.slice(0, n));
      while (bytes.length > this.o.maxBatchBytes && n > 1) {
        n = Math.ceil(n / 2);
        bytes = encodeTelemetry(this.queue.slice(0, n));
      }
      try {
        await send(bytes, { metadata: { type: TELEMETRY_PAYLOAD_TYPE, records: String(n) } });
      } catch (err) {
        if (this.closed) return;
        this.o.log.warn({ err: String(err), waiting: this.queue.length }, 'telemetry batch not sent; kept, retrying');
        await new Promise((r) => setTimeout(r, this.retryMs).unref());
        this.retryMs = Math.min(this.retryMs * 2, 5000);
        continue;
      }
      this.retryMs = 100;
      this.queue.splice(0, n);
      this.counters.sent += n;
    }
  }

  /** Sends what is queued (waiting at most `ms`), then stops. */
  async close(ms = 5000): Promise<void> {
    clearTimeout(this.timer);
    if (!this.sending && this.queue.length > 0) this.sending = this.flush();
    const wait = this.sending ?? Promise.resolve();
    let t: NodeJS.Timeout | undefined;
    await Promise.race([wait, new Promise<void>((r) => (t = setTimeout(r, ms)))]);
    clearTimeout(t);
    this.closed = true;
  }
}
