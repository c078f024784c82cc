import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import {
  Backoff,
  JetStreamPublishError,
  outboxIdOf,
  outboxStreamName,
  subjects,
  type JetStreamPublisher,
} from '@hubspoke/runtime';
import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  jetstreamManager,
  type JetStreamManager,
  type StreamInfo,
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

/** The outbox stream of edges from before sourcing (its id in the description); new outboxes are `HS_OUTBOX_<id>`. */
export const LEGACY_OUTBOX_STREAM = 'HS_OUTBOX';
const FULL_CODES = new Set([10077, 10078, 10047]); // maximum messages / bytes exceeded, insufficient resources
const EPOCH_PREFIX = 'hubspoke outbox ';
/** How long an append is tried again through a leaf that does not answer (`append`'s `waitMs`). */
const APPEND_WAIT_MS = 30_000;
/**
 * The outbox drops a copy of an id stored this recently: longer than an append's retries. Not JetStream's default
 * 2 minutes: the leaf keeps an entry per payload for the whole window (3.4 million at 28 k/s).
 */
const DUPLICATE_WINDOW_NS = (APPEND_WAIT_MS + 15_000) * 1_000_000;
/** The longest a payload the hub has stays on the edge's disk while more come. */
const PURGE_MAX_MS = 10_000;

/** The outbox's identity kept in its stream's description, or undefined when it has none yet. */
export function epochOf(description: string | undefined): string | undefined {
  return description?.startsWith(EPOCH_PREFIX) ? description.slice(EPOCH_PREFIX.length) || undefined : undefined;
}

/**
 * The edge's outbox: a JetStream stream in the edge's own domain (its leaf), on a subject that never leaves
 * the site. A payload is durable once its PubAck comes back; the hub takes it from there (it sources the stream,
 * or the forwarder sends it), and it is purged once the hub has it. The outbox's id (its epoch) is in the stream's
 * name, `HS_OUTBOX_<id>`, made once when the stream is created: a new outbox restarts the sequence under a new
 * name, so the hub sources it as a new stream (a source of a re-created stream of the same name silently skips
 * the sequences it had seen: NATS-NOTES). Never the stream's `created` time: nats-server 2.9 rewrites it on every
 * `streams.update`. An outbox from before (`HS_OUTBOX`, its id in the description) is used up by the forwarder,
 * then replaced by a new one at the next start.
 */
export class Outbox {
  private lastSeq = 0;
  private forwardedSeq = 0;
  private purgedThrough = 0;
  private purgedAt = Date.now();

  private constructor(
    private readonly jsm: JetStreamManager,
    private readonly publisher: JetStreamPublisher,
    readonly subject: string,
    /** The stream's name: `HS_OUTBOX_<epoch>`, or `HS_OUTBOX` for an outbox from before sourcing. */
    readonly stream: string,
    readonly epoch: string,
    firstSeq: number,
    lastSeq: number,
    /** Payloads the hub has that make a purge worth its cost at once (a quarter of the outbox's capacity). */
    private readonly purgeBatch: number,
  ) {
    this.lastSeq = lastSeq;
    this.forwardedSeq = firstSeq - 1;
  }

  /** Whether the hub can source this outbox (one from before sourcing is sent by the forwarder). */
  get sourceable(): boolean {
    return this.stream !== LEGACY_OUTBOX_STREAM;
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
      subjects: [subject],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.New,
      max_msgs: limits.maxMessages,
      max_bytes: limits.maxBytes,
      num_replicas: 1,
      duplicate_window: DUPLICATE_WINDOW_NS,
    };
    let name: string | undefined;
    for await (const n of jsm.streams.names(subject)) {
      if (n === LEGACY_OUTBOX_STREAM || outboxIdOf(n)) name = n;
    }
    let info: StreamInfo | undefined;
    if (name === LEGACY_OUTBOX_STREAM) {
      info = await jsm.streams.info(name);
      if (info.state.messages === 0) {
        await jsm.streams.delete(name); // nothing in it: replaced by an outbox the hub can source
        name = undefined;
        info = undefined;
      }
    }
    if (name === undefined) {
      const id = randomUUID().replaceAll('-', '');
      name = outboxStreamName(id);
      info = await jsm.streams.add({ name, ...config, description: `${EPOCH_PREFIX}${id}` });
    }
    info ??= await jsm.streams.info(name);
    let epoch = outboxIdOf(name) ?? epochOf(info.config.description);
    // Limits changed, or an outbox from before the id was kept (it gets one now; payloads from before it that are
    // still in flight may be offered again once, flagged by nothing: only on this one upgrade).
    if (
      epoch === undefined ||
      info.config.max_msgs !== limits.maxMessages ||
      info.config.max_bytes !== limits.maxBytes ||
      info.config.duplicate_window !== DUPLICATE_WINDOW_NS
    ) {
      epoch ??= randomUUID();
      info = await jsm.streams.update(name, { ...info.config, ...config, description: `${EPOCH_PREFIX}${epoch}` });
    }
    const first = info.state.messages === 0 ? info.state.last_seq + 1 : info.state.first_seq;
    const purgeBatch = Math.max(1, Math.floor(limits.maxMessages / 4));
    return new Outbox(jsm, publisher, subject, name, epoch, first, info.state.last_seq, purgeBatch);
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
  async append(data: Uint8Array, id: string, waitMs = APPEND_WAIT_MS): Promise<number> {
    const deadline = Date.now() + waitMs;
    let backoff: Backoff | undefined; // made on the first failure only (this runs once per payload)
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
        backoff ??= new Backoff({ initialMs: 50, maxMs: 1000 });
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

  /** Marks everything up to `seq` as stored at the hub (never beyond what this outbox stored). */
  forwarded(seq: number): void {
    const s = Math.min(seq, this.lastSeq);
    if (s > this.forwardedSeq) this.forwardedSeq = s;
  }

  /** Removes what the hub has stored from the edge's disk (nothing to do when that did not move since). */
  async purgeForwarded(): Promise<void> {
    const through = this.forwardedSeq;
    if (through <= this.purgedThrough) return;
    // Purging at every answer of the hub cost the leaf 36% more CPU than never purging (measured at full speed):
    // purge when the hub has a quarter of the outbox's capacity, when it has everything, or every PURGE_MAX_MS.
    const due =
      through - this.purgedThrough >= this.purgeBatch ||
      through >= this.lastSeq ||
      Date.now() - this.purgedAt >= PURGE_MAX_MS;
    if (!due) return;
    await this.jsm.streams.purge(this.stream, { seq: through + 1 });
    this.purgedAt = Date.now();
    if (through > this.purgedThrough) this.purgedThrough = through;
  }
}
