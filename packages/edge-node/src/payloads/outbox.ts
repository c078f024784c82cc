import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import { Backoff, JetStreamPublishError, subjects, type JetStreamPublisher } from '@hubspoke/runtime';
import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  jetstreamManager,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';

/** Bounds of the edge outbox. When full, new payloads are refused with `HS_ERR_OUTBOX_FULL`. */
export interface OutboxLimits {
  /** @default 100000 */
  maxMessages: number;
  /** @default 1073741824 (1 GiB) */
  maxBytes: number;
}

export const OUTBOX_STREAM = 'HS_OUTBOX';
const FULL_CODES = new Set([10077, 10078, 10047]); // maximum messages / bytes exceeded, insufficient resources
const EPOCH_PREFIX = 'hubspoke outbox ';

/** The outbox's identity kept in its stream's description, or undefined when it has none yet. */
export function epochOf(description: string | undefined): string | undefined {
  return description?.startsWith(EPOCH_PREFIX) ? description.slice(EPOCH_PREFIX.length) || undefined : undefined;
}

/**
 * The edge's outbox: a JetStream stream in the edge's own domain (its leaf), on a subject that never leaves
 * the site. A payload is durable once its PubAck comes back; the forwarder sends it on and purges it after
 * the hub's PubAck. An id made once, when the stream is created, and kept in the stream's description names
 * the outbox (the epoch): a new outbox restarts the sequence. Not the stream's `created` time: nats-server 2.9
 * rewrites it on every `streams.update`, and in-flight payloads then came back under a new epoch as new ones.
 */
export class Outbox {
  private lastSeq = 0;
  private forwardedSeq = 0;

  private constructor(
    private readonly jsm: JetStreamManager,
    private readonly publisher: JetStreamPublisher,
    readonly subject: string,
    readonly epoch: string,
    firstSeq: number,
    lastSeq: number,
  ) {
    this.lastSeq = lastSeq;
    this.forwardedSeq = firstSeq - 1;
  }

  static async open(
    nc: NatsConnection,
    domain: string,
    ns: string,
    edge: string,
    limits: OutboxLimits,
    publisher: JetStreamPublisher,
  ): Promise<Outbox> {
    const jsm = await jetstreamManager(nc, { domain });
    const subject = subjects.outbox(ns, edge);
    const config = {
      name: OUTBOX_STREAM,
      subjects: [subject],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.New,
      max_msgs: limits.maxMessages,
      max_bytes: limits.maxBytes,
      num_replicas: 1,
    };
    let info;
    try {
      info = await jsm.streams.info(OUTBOX_STREAM);
    } catch (err) {
      if (!/stream not found/i.test(String(err))) throw err;
      info = await jsm.streams.add({ ...config, description: `${EPOCH_PREFIX}${randomUUID()}` });
    }
    // An outbox made before the epoch was kept gets one now; the sequence goes on (payloads from before it that
    // are still in flight may be offered again once, flagged by nothing: only on this one upgrade).
    const description = info.config.description;
    const epoch = epochOf(description) ?? randomUUID();
    info = await jsm.streams.update(OUTBOX_STREAM, {
      ...info.config,
      ...config,
      description: `${EPOCH_PREFIX}${epoch}`,
    });
    const first = info.state.messages === 0 ? info.state.last_seq + 1 : info.state.first_seq;
    return new Outbox(jsm, publisher, subject, epoch, first, info.state.last_seq);
  }

  /** Payloads stored here and not yet acknowledged by the hub. */
  get pending(): number {
    return Math.max(0, this.lastSeq - this.forwardedSeq);
  }

  /** The first sequence not yet forwarded. */
  get nextToForward(): number {
    return this.forwardedSeq + 1;
  }

  /**
   * Stores an encoded payload; resolves once it is on the edge's disk. While the leaf does not answer (it is
   * restarting, or the connection to it is being re-made) the same payload is offered again, with the same id
   * so the outbox keeps one copy, for up to `waitMs`.
   */
  async append(data: Uint8Array, id: string, waitMs = 30_000): Promise<number> {
    const deadline = Date.now() + waitMs;
    const backoff = new Backoff({ initialMs: 50, maxMs: 1000 });
    for (;;) {
      try {
        const ack = await this.publisher.publish(this.subject, data, { msgId: id });
        if (ack.seq > this.lastSeq) this.lastSeq = ack.seq;
        return ack.seq;
      } catch (err) {
        if (err instanceof JetStreamPublishError && err.jsErrCode !== undefined && FULL_CODES.has(err.jsErrCode)) {
          throw new HubspokeError(
            ErrorCode.OutboxFull,
            `the edge outbox is full (${this.pending} payloads waiting for the hub); the payload was not stored`,
            { cause: err },
          );
        }
        const transient = (err as HubspokeError).code === ErrorCode.NotConnected;
        if (!transient || Date.now() + backoff.peek() > deadline) {
          if (!transient) throw err;
          throw new HubspokeError(
            ErrorCode.NotConnected,
            `the edge's leaf did not store payload ${id} within ${waitMs} ms: ${(err as Error).message}`,
            { cause: err },
          );
        }
        await backoff.wait();
      }
    }
  }

  /** Marks everything up to `seq` as acknowledged by the hub. */
  forwarded(seq: number): void {
    if (seq > this.forwardedSeq) this.forwardedSeq = seq;
  }

  /** Removes what the hub has acknowledged from the edge's disk. */
  async purgeForwarded(): Promise<void> {
    await this.jsm.streams.purge(OUTBOX_STREAM, { seq: this.forwardedSeq + 1 });
  }
}
