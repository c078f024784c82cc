import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';

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
  /** Stream replicas (a clustered hub). @default 1 */
  replicas: number;
}

const nanos = (ms: number): number => ms * 1_000_000;

async function ensure(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    const info = await jsm.streams.info(config.name);
    await jsm.streams.update(config.name, { ...info.config, ...config });
  } catch (err) {
    if (!/stream not found/i.test(String(err))) throw err;
    await jsm.streams.add(config);
  }
}

/** A file-backed Limits stream kept for the retention window. */
function kept(
  name: string,
  subject: string,
  o: PayloadStreamOptions,
  dedup: boolean,
): Partial<StreamConfig> & { name: string } {
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

/** Creates or updates the payload, durable-Down and dead-letter streams (every replica may; it is idempotent). */
export async function ensurePayloadStreams(jsm: JetStreamManager, o: PayloadStreamOptions): Promise<void> {
  await ensure(jsm, kept(PAYLOAD_STREAM, 'hs.pay.>', o, true));
  await ensure(jsm, kept(DOWN_STREAM, 'hs.devt.>', o, true));
  await ensure(jsm, kept(DLQ_STREAM, 'hs.dlq.>', o, false));
}
