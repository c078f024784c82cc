import { appendEnvelopeFields } from '@hubspoke/sdk';
import type { JetStreamPublisher, PubAck } from '@hubspoke/runtime';
import { DeliverPolicy, jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger as Pino } from 'pino';
import { OUTBOX_STREAM, type Outbox } from './outbox.js';

const WINDOW = 512;
const PURGE_EVERY_MS = 200;

/**
 * Sends the outbox to the hub, in order, as fast as PubAcks come back: up to 512 payloads in flight on one
 * connection, each stamped with its outbox sequence and epoch (appended to the stored bytes). When a send
 * fails (hub away, link down), it stops, backs off (100 ms doubling to 5 s) and starts again from the first
 * payload the hub has not acknowledged; the hub drops what it already has (by id, and by sequence).
 */
export class Forwarder {
  private stopped = false;
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private purger: NodeJS.Timeout | undefined;
  private purgedThrough = 0;
  private lastFailureLog = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly domain: string,
    private readonly outbox: Outbox,
    private readonly publisher: JetStreamPublisher,
    private readonly paySubject: string,
    private readonly log: Pino,
  ) {}

  start(): void {
    this.loop = this.run();
    this.purger = setInterval(() => void this.purge(), PURGE_EVERY_MS).unref();
  }

  private async purge(): Promise<void> {
    const through = this.outbox.nextToForward - 1;
    if (through <= this.purgedThrough || this.stopped) return;
    try {
      await this.outbox.purgeForwarded();
      this.purgedThrough = through;
    } catch (err) {
      this.log.debug({ err: String(err) }, 'outbox purge failed; retried later');
    }
  }

  private async run(): Promise<void> {
    let backoff = 100;
    while (!this.stopped) {
      try {
        await this.forwardFrom(this.outbox.nextToForward, () => (backoff = 100));
      } catch (err) {
        if (this.stopped) break;
        const now = Date.now();
        if (now - this.lastFailureLog > 10000) {
          this.lastFailureLog = now;
          this.log.warn(
            { err: String((err as Error)?.message ?? err), pending: this.outbox.pending },
            'cannot forward payloads to the hub; they wait in the outbox and go out when it answers',
          );
        }
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  private async forwardFrom(start: number, onProgress: () => void): Promise<void> {
    const js = jetstream(this.nc, { domain: this.domain });
    const consumer = await js.consumers.get(OUTBOX_STREAM, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: start,
    });
    const messages = await consumer.consume({ max_messages: WINDOW });
    this.messages = messages;
    const inflight: { seq: number; ack: Promise<PubAck> }[] = [];
    let failed: unknown;
    let space: (() => void) | undefined;
    let settling = Promise.resolve();
    const settle = async (): Promise<void> => {
      while (inflight.length > 0 && failed === undefined) {
        const head = inflight[0] as { seq: number; ack: Promise<PubAck> };
        try {
          await head.ack;
        } catch (err) {
          failed = err;
          messages.stop();
          space?.();
          return;
        }
        inflight.shift();
        this.outbox.forwarded(head.seq);
        onProgress();
        space?.();
      }
    };
    for await (const m of messages) {
      if (this.stopped || failed !== undefined) break;
      const id = m.headers?.get('Nats-Msg-Id') ?? '';
      const data = appendEnvelopeFields(m.data, { sequence: m.seq, sequenceEpoch: this.outbox.epoch });
      const ack = this.publisher.publish(this.paySubject, data, id ? { msgId: id } : undefined);
      ack.catch(() => undefined);
      inflight.push({ seq: m.seq, ack });
      if (inflight.length === 1) settling = settle();
      while (inflight.length >= WINDOW && failed === undefined) {
        await new Promise<void>((r) => (space = r));
        space = undefined;
      }
    }
    await settling;
    if (inflight.length > 0 && failed === undefined) settling = settle();
    await settling;
    if (failed !== undefined) throw failed;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.purger);
    this.messages?.stop();
    await this.loop?.catch(() => undefined);
    await this.purge().catch(() => undefined);
  }
}
