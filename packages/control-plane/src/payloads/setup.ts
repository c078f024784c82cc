import { JetStreamPublisher, type SetupContext } from '@hubspoke/runtime';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { z } from 'zod';
import { DurableDown } from '../events/durable-down.js';
import { randomUUID } from 'node:crypto';
import { Dispatcher, type DispatchCounters, type DispatchOptions } from './dispatcher.js';
import { EdgeRecords } from './edge-record.js';
import { Ownership } from './ownership.js';
import { DISPATCH_BUCKET, ensurePayloadStreams, type PayloadStreamOptions } from './streams.js';

/** Options of edge payload handling at the control plane. */
export type PayloadOptions = DispatchOptions & PayloadStreamOptions;

const DAY = 24 * 3600 * 1000;

/** The zod schema of {@link PayloadOptions}; every field has its default. */
export const payloadOptionsSchema = z
  .object({
    retentionMs: z
      .number()
      .int()
      .min(60_000)
      .default(7 * DAY),
    dedupWindowMs: z.number().int().min(1000).default(120_000),
    replicas: z.number().int().min(1).max(5).default(1),
    maxDeliveries: z.number().int().min(1).max(1000).default(5),
    backoffInitialMs: z.number().int().min(1).default(100),
    backoffMaxMs: z.number().int().min(1).default(5000),
    offerTimeoutMs: z.number().int().min(10).default(30_000),
    leaseMs: z.number().int().min(300).max(60_000).default(3000),
    discoverMs: z.number().int().min(50).max(60_000).default(500),
  })
  .strict()
  .prefault({});

/** What the control plane exposes of payload dispatch. */
export interface PayloadDispatch {
  readonly counters: Readonly<DispatchCounters>;
  /** True once this replica dispatches (a receiver is loaded). */
  readonly active: boolean;
  /** Told, for each payload handled, the seconds from its arrival at the hub to its receiver's `true`. */
  onLatency: ((seconds: number) => void) | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
  close(): void;
}

/** Creates the payload and dead-letter streams and the dispatch record bucket; dispatch starts once plugins are ready. */
export async function openPayloadDispatch(ctx: SetupContext, o: PayloadOptions): Promise<PayloadDispatch> {
  const jsm = await jetstreamManager(ctx.nc);
  const js = jetstream(ctx.nc);
  await ensurePayloadStreams(jsm, o);
  const kv = await new Kvm(js).create(DISPATCH_BUCKET, { history: 1, ttl: o.retentionMs, replicas: o.replicas });
  const publisher = new JetStreamPublisher(ctx.nc, { timeoutMs: 5000 });
  const ownership = new Ownership(kv, randomUUID().slice(0, 8), o.leaseMs, ctx.log);
  const dispatcher = new Dispatcher(
    jsm,
    js,
    ctx.host,
    new EdgeRecords(kv, publisher),
    ownership,
    publisher,
    ctx.limits,
    ctx.log,
    o,
    (env) => ctx.fabric.deliverRemote(env),
  );
  ctx.onReconnect(() => dispatcher.reconnected());
  const down = new DurableDown(ctx, jsm, js, publisher);
  down.start();
  let active = false;
  return {
    counters: dispatcher.counters,
    get active() {
      return active;
    },
    get onLatency() {
      return dispatcher.onLatency;
    },
    set onLatency(fn) {
      dispatcher.onLatency = fn;
    },
    async start() {
      await ownership.open();
      active = await dispatcher.start();
    },
    async stop() {
      await dispatcher.stop();
      await ownership.close();
    },
    close: () => {
      down.stop();
      publisher.close();
    },
  };
}
