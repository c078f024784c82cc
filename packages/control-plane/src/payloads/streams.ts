import { ensureStream, storeDescription, subjects, type StreamSpec } from '@hubspoke/runtime';
import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type Consumer,
  type JetStreamClient,
  type JetStreamManager,
  type OrderedConsumerOptions,
} from '@nats-io/jetstream';
import type { Logger as Pino } from 'pino';

export const PAYLOAD_STREAM = 'HS_PAYLOADS';
export const DLQ_STREAM = 'HS_DLQ';
/** Durable Down events, kept so that an edge that was away gets what it missed. */
export const DOWN_STREAM = 'HS_DOWN';
/** The durable consumer every replica shared before edges had owners: only its ack floor is read, once. */
export const LEGACY_DISPATCH_CONSUMER = 'hs-dispatch';
export const DISPATCH_BUCKET = 'hs-dispatch';

/** Retention and dedup of the hub's payload streams. */
export interface PayloadStreamOptions {
  /** How long payloads are kept at the hub: the replay window. @default 7 days */
  retentionMs: number;
  /** JetStream's own dedup by payload id (`Nats-Msg-Id`). @default 120000 */
  dedupWindowMs: number;
  /** Stream replicas (a clustered hub): `jetstream.replicas`, or the deprecated `payloads.replicas`. @default 1 */
  replicas: number;
}

const nanos = (ms: number): number => ms * 1_000_000;

/** A file-backed Limits stream kept for the retention window. */
function kept(name: string, subject: string, o: PayloadStreamOptions, dedup: boolean): StreamSpec {
  return {
    name,
    subjects: [subject],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(o.retentionMs),
    num_replicas: o.replicas,
    ...(dedup ? { duplicate_window: nanos(Math.min(o.dedupWindowMs, o.retentionMs)) } : {}),
  };
}

/**
 * Creates or updates the payload, durable-Down and dead-letter streams (every replica may; it is idempotent),
 * never lowering their replicas.
 */
export async function ensurePayloadStreams(jsm: JetStreamManager, o: PayloadStreamOptions, log: Pino): Promise<void> {
  await ensureStream(jsm, kept(PAYLOAD_STREAM, subjects.payloadAll, o, true), log);
  // Its store id (durable Down sequences count in it) is set at creation: concurrent creators agree on one.
  await ensureStream(jsm, kept(DOWN_STREAM, subjects.downKeptAll, o, true), log, { description: storeDescription() });
  await ensureStream(jsm, kept(DLQ_STREAM, subjects.deadLetterAll, o, false), log);
}

/**
 * An ordered consumer of a stream on `filter`. For `HS_PAYLOADS` a filter is `hs.*.…` (published and sourced
 * payloads); nats-server refuses a filter outside the stream's own subjects (`hs.pay.>`) while the stream sources
 * nothing, and then the published payloads are all there is: it reads those (`hs.pay.…`).
 */
export async function orderedConsumer(
  js: JetStreamClient,
  stream: string,
  filter: string,
  o: Partial<OrderedConsumerOptions>,
): Promise<Consumer> {
  try {
    return await js.consumers.get(stream, { ...o, filter_subjects: filter });
  } catch (err) {
    if (!/not a valid subset/i.test(String(err)) || !filter.startsWith('hs.*.')) throw err;
    return js.consumers.get(stream, { ...o, filter_subjects: `hs.pay.${filter.slice('hs.*.'.length)}` });
  }
}
