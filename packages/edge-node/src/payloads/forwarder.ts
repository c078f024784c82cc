import { appendEnvelopeFields } from '@hubspoke/sdk';
import { Backoff, type JetStreamPublisher } from '@hubspoke/runtime';
import { DeliverPolicy, jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger as Pino } from 'pino';
import { OUTBOX_STREAM, type Outbox } from './outbox.js';

const WINDOW = 512;
const MAX_QUEUED = 4 * WINDOW;
const LOW_QUEUED = WINDOW;
const STALL_MS = 2000;
const PURGE_EVERY_MS = 200;

interface Item {
  seq: number;
  data: Uint8Array;
  id: string;
}

/**
 * Sends the outbox to the hub, in order, as fast as PubAcks come back: up to 512 payloads in flight on one
 * connection, each stamped with its outbox sequence and epoch (appended to the stored bytes).
 *
 * Two sources feed one queue, which takes only the next sequence it expects (a copy of one it has is dropped):
 * - live: a payload whose outbox PubAck just came back is taken from memory, so a healthy edge never reads its
 *   outbox back from the leaf (that read cost the leaf and the edge about a third of their CPU per payload);
 * - the outbox reader (an ordered consumer on the leaf), only while the queue is behind the outbox: at start,
 *   after a failure, when the queue was full, or when a live payload skipped a sequence (an outbox PubAck that
 *   never came back).
 * When a send fails (hub away, link down), it backs off (100 ms doubling to 5 s) and reads on from the first
 * payload the hub has not acknowledged; the hub drops what it already has (by id, and the control plane by
 * sequence).
 */
export class Forwarder {
  private stopped = false;
  /** Taken and not yet published, contiguous up to `nextSeq - 1`. */
  private queue: Item[] = [];
  private queueHead = 0;
  /** Published, waiting for the hub's PubAck, in order. */
  private inflight: { seq: number; ok: boolean }[] = [];
  /** The next sequence the queue takes. */
  private nextSeq: number;
  /** Bumped at every reset: PubAcks and reader messages of an earlier round are ignored. */
  private round = 0;
  private reader: ConsumerMessages | undefined;
  private readerRound = -1;
  private readerStarting = false;
  /** Live payloads were refused (queue full, backing off): the reader has to catch up once there is room. */
  private behind = false;
  private backingOff = false;
  private scheduled = false;
  private lastActivity = Date.now();
  private readonly backoff = new Backoff({ initialMs: 100, maxMs: 5000 });
  private retryTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private purger: NodeJS.Timeout | undefined;
  private purging: Promise<void> | undefined;
  private purgedThrough = 0;
  private lastFailureLog = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly domain: string,
    private readonly outbox: Outbox,
    private readonly publisher: JetStreamPublisher,
    private readonly paySubject: string,
    private readonly log: Pino,
  ) {
    this.nextSeq = outbox.nextToForward;
  }

  start(): void {
    this.outbox.onStored = (seq, data, id) => this.take(seq, data, id, false);
    if (this.outbox.lastStored >= this.nextSeq) this.startReader();
    this.purger = setInterval(() => void this.purge(), PURGE_EVERY_MS).unref();
    // nats.js's ordered consumer can go quiet after its server restarts (no messages, no error), and an outbox
    // PubAck lost on the way leaves a payload no live one follows: when the outbox has payloads and nothing
    // moved for STALL_MS, read from the acked point again.
    this.watchdog = setInterval(() => this.checkStall(), STALL_MS / 2).unref();
  }

  private async purge(): Promise<void> {
    const through = this.outbox.nextToForward - 1;
    if (through <= this.purgedThrough || this.purging) return;
    this.purging = this.outbox
      .purgeForwarded()
      .then(() => {
        this.purgedThrough = through;
      })
      .catch((err: unknown) => this.log.debug({ err: String(err) }, 'outbox purge failed; retried later'))
      .finally(() => {
        this.purging = undefined;
      });
    await this.purging;
  }

  private get queued(): number {
    return this.queue.length - this.queueHead;
  }

  /** Takes payload `seq` if it is the next one; otherwise leaves it to the reader. */
  private take(seq: number, data: Uint8Array, id: string, fromReader: boolean): void {
    if (this.stopped || this.backingOff) return;
    if (seq < this.nextSeq) {
      // Live payloads got there first: the reader is done once it reaches what the outbox acknowledged.
      if (fromReader && this.nextSeq > this.outbox.lastStored) this.stopReader();
      return;
    }
    if (seq > this.nextSeq) {
      // A live payload past a gap (the reader is not running, or has not got there yet).
      if (!fromReader) this.startReader();
      return;
    }
    if (this.queued >= MAX_QUEUED) {
      // The hub is slower than the outbox fills: refuse until there is room, then read from the outbox.
      this.behind = true;
      if (fromReader) this.stopReader();
      return;
    }
    this.queue.push({ seq, data, id });
    this.nextSeq = seq + 1;
    this.lastActivity = Date.now();
    // Caught up with what the outbox acknowledged so far: live payloads go on from here.
    if (fromReader && this.nextSeq > this.outbox.lastStored) this.stopReader();
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.pump());
    }
  }

  /** Publishes queued payloads, up to WINDOW in flight, in one synchronous pass (one socket write). */
  private pump(): void {
    this.scheduled = false;
    if (this.stopped || this.backingOff) return;
    const round = this.round;
    while (this.queued > 0 && this.inflight.length < WINDOW) {
      const item = this.queue[this.queueHead++] as Item;
      const entry = { seq: item.seq, ok: false };
      this.inflight.push(entry);
      const data = appendEnvelopeFields(item.data, { sequence: item.seq, sequenceEpoch: this.outbox.epoch });
      this.publisher.publish(this.paySubject, data, item.id ? { msgId: item.id } : undefined).then(
        () => {
          if (round !== this.round) return;
          entry.ok = true;
          this.settle();
        },
        (err: unknown) => {
          if (round === this.round) this.fail(err);
        },
      );
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    if (this.behind && this.queued < LOW_QUEUED) {
      this.behind = false;
      this.startReader();
    }
  }

  private settle(): void {
    let advanced = false;
    while (this.inflight.length > 0 && (this.inflight[0] as { ok: boolean }).ok) {
      this.outbox.forwarded((this.inflight.shift() as { seq: number }).seq);
      advanced = true;
    }
    if (advanced) {
      this.lastActivity = Date.now();
      this.backoff.reset();
    }
    this.pump();
  }

  /** A send failed: drop what is queued and in flight, back off, and read on from the hub's acked point. */
  private fail(err: unknown): void {
    this.round++;
    this.stopReader();
    this.queue = [];
    this.queueHead = 0;
    this.inflight = [];
    this.nextSeq = this.outbox.nextToForward;
    this.behind = false;
    if (this.stopped) return;
    const now = Date.now();
    if (now - this.lastFailureLog > 10000) {
      this.lastFailureLog = now;
      this.log.warn(
        { err: String((err as Error)?.message ?? err), pending: this.outbox.pending },
        'cannot forward payloads to the hub; they wait in the outbox and go out when it answers',
      );
    }
    this.backingOff = true;
    const delay = this.backoff.next();
    this.retryTimer = setTimeout(() => {
      this.backingOff = false;
      this.lastActivity = Date.now();
      if (!this.stopped && this.outbox.lastStored >= this.nextSeq) this.startReader();
    }, delay);
  }

  private checkStall(): void {
    if (this.stopped || this.backingOff || this.readerStarting) return;
    const idle = this.inflight.length === 0 && this.queued === 0 && Date.now() - this.lastActivity > STALL_MS;
    if (idle && this.outbox.pending > 0) {
      this.log.debug({ from: this.nextSeq, pending: this.outbox.pending }, 'outbox forwarding stalled; reading again');
      this.nextSeq = Math.max(this.nextSeq, this.outbox.nextToForward);
      this.stopReader();
      this.startReader();
    }
  }

  /** Reads the outbox from `nextSeq` (an ordered consumer on the leaf) until the queue has caught up. */
  private startReader(): void {
    if (this.stopped || this.backingOff || this.readerStarting) return;
    if (this.reader && this.readerRound === this.round) return;
    this.readerStarting = true;
    const round = this.round;
    const from = this.nextSeq;
    void (async () => {
      try {
        const js = jetstream(this.nc, { domain: this.domain });
        const consumer = await js.consumers.get(OUTBOX_STREAM, {
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: from,
        });
        if (round !== this.round || this.stopped) return;
        const messages = await consumer.consume({
          max_messages: WINDOW,
          callback: (m) => {
            if (round !== this.round || this.reader !== messages) return;
            this.lastActivity = Date.now();
            this.take(m.seq, m.data, m.headers?.get('Nats-Msg-Id') ?? '', true);
          },
        });
        if (round !== this.round || this.stopped) {
          messages.stop();
          return;
        }
        this.reader = messages;
        this.readerRound = round;
        this.lastActivity = Date.now();
        void messages.closed().then(
          () => this.readerEnded(messages),
          () => this.readerEnded(messages),
        );
      } catch (err) {
        if (round === this.round) this.fail(err);
      } finally {
        this.readerStarting = false;
      }
    })();
  }

  /** The reader ended on its own (the leaf restarted, the consumer went away): the watchdog reads again. */
  private readerEnded(messages: ConsumerMessages): void {
    if (this.reader === messages) this.reader = undefined;
  }

  private stopReader(): void {
    const r = this.reader;
    this.reader = undefined;
    r?.stop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.round++;
    this.outbox.onStored = undefined;
    clearTimeout(this.retryTimer);
    clearInterval(this.watchdog);
    clearInterval(this.purger);
    this.stopReader();
    await this.purging;
    await this.purge();
  }
}
