import { JetStreamPublisher, OPEN_RETRY_MS, ensureKvBucket, withJetStream, type SetupContext } from '@hubspoke/runtime';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { z } from 'zod';
import { DurableDown } from '../events/durable-down.js';
import { randomUUID } from 'node:crypto';
import { Dispatcher, type DispatchCounters, type DispatchOptions } from './dispatcher.js';
import { EdgeRecords } from './edge-record.js';
import type { LaneState } from './lane.js';
import { Ownership } from './ownership.js';
import { OutboxSources } from './sources.js';
import { DISPATCH_BUCKET, DOWN_STREAM, ensurePayloadStreams, type PayloadStreamOptions } from './streams.js';

/** Options of edge payload handling at the control plane (`replicas` comes from `jetstream.replicas`). */
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
    /** Deprecated: `jetstream.replicas` (docs/cluster.md) covers every stream and bucket. */
    replicas: z.number().int().min(1).max(5).optional(),
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
  /** Stops the hub sourcing a forgotten edge's outbox; resolves to whether it did. */
  forgetSource(edgeId: string): Promise<boolean>;
  /** The state of each edge this replica dispatches (for diagnostics: a lane that stands still says why). */
  lanes(): LaneState[];
}

/** Creates the payload and dead-letter streams and the dispatch record bucket; dispatch starts once plugins are ready. */
export async function openPayloadDispatch(ctx: SetupContext, o: PayloadOptions): Promise<PayloadDispatch> {
  const jsm = await jetstreamManager(ctx.nc);
  const js = jetstream(ctx.nc);
  await ensurePayloadStreams(jsm, o, ctx.log);
  const kv = await ensureKvBucket(ctx.nc, DISPATCH_BUCKET, {
    replicas: o.replicas,
    ttlMs: o.retentionMs,
    log: ctx.log,
  });
  const publisher = new JetStreamPublisher(ctx.nc, { timeoutMs: 5000 });
  const records = new EdgeRecords(kv, publisher);
  const sources = new OutboxSources(ctx.nc, jsm, records, ctx.log);
  const ownership = new Ownership(kv, randomUUID().slice(0, 8), o.leaseMs, ctx.log);
  const dispatcher = new Dispatcher(jsm, js, ctx.host, records, ownership, publisher, ctx.limits, ctx.log, o, (env) =>
    ctx.fabric.deliverRemote(env),
  );
  sources.onSourced = (ns, edge) => dispatcher.nudge(ns, edge);
  ctx.onReconnect(() => dispatcher.reconnected());
  const down = new DurableDown(ctx, jsm, js, publisher);
  await withJetStream(`stream ${DOWN_STREAM}`, () => down.open(), OPEN_RETRY_MS);
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
      // Through a cluster electing a leader (a node lost), opening is tried again; a failed try leaves no watch.
      await withJetStream(`KV bucket ${DISPATCH_BUCKET}`, () => ownership.open(), OPEN_RETRY_MS);
      sources.start();
      active = await withJetStream('payload dispatch', () => dispatcher.start(), OPEN_RETRY_MS);
    },
    async stop() {
      sources.stop();
      await dispatcher.stop();
      await ownership.close();
    },
    close: () => {
      down.stop();
      publisher.close();
    },
    forgetSource: (edgeId) => sources.remove(edgeId),
    lanes: () => dispatcher.lanesState(),
  };
}
