import { appendEnvelopeFields } from '@hubspoke/sdk';
import { Backoff, type JetStreamPublisher } from '@hubspoke/runtime';
import { DeliverPolicy, jetstream, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger as Pino } from 'pino';
import type { Outbox } from './outbox.js';

const WINDOW = 512;
const MAX_PENDING = 4 * WINDOW;
const STALL_MS = 2000;
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
  private stopCurrent: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private purger: NodeJS.Timeout | undefined;
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
    if (this.stopped) return;
    try {
      await this.outbox.purgeForwarded();
    } catch (err) {
      this.log.debug({ err: String(err) }, 'outbox purge failed; retried later');
    }
  }

  private async run(): Promise<void> {
    const backoff = new Backoff({ initialMs: 100, maxMs: 5000 });
    while (!this.stopped) {
      try {
        await this.forwardFrom(this.outbox.nextToForward, () => backoff.reset());
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
        await backoff.wait();
      }
    }
  }

  /**
   * Forwards from `start` until a send fails (rejects), or the local backlog grows past MAX_PENDING (resolves,
   * to be called again from where the hub's PubAcks got to). Messages arrive in the consumer's callback and
   * are published in one synchronous pass per batch, so a batch leaves in one socket write.
   */
  private async forwardFrom(start: number, onProgress: () => void): Promise<void> {
    const js = jetstream(this.nc, { domain: this.domain });
    const consumer = await js.consumers.get(this.outbox.stream, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: start,
    });
    const pending: JsMsg[] = [];
    const inflight: { seq: number; ok: boolean }[] = [];
    let scheduled = false;
    // One payload alone first: until the hub has acknowledged one, the stream may not be there (or not reachable
    // through the leaf yet), and a window sent meanwhile can see its first publishes meet no responders while
    // later ones are stored: the hub would get the outbox out of order.
    let window = 1;
    let paused = false;
    let finish!: (err?: unknown) => void;
    const done = new Promise<void>((resolve, reject) => {
      finish = (err?: unknown) => {
        this.messages?.stop();
        if (err === undefined) resolve();
        else reject(err instanceof Error ? err : new Error(String(err)));
      };
    });
    this.stopCurrent = () => finish();
    let failed = false;
    // nats.js's ordered consumer can go quiet after its server restarts (no messages, no error): when the outbox
    // has payloads and nothing moved for STALL_MS, start the reader again from the acked point.
    let lastActivity = Date.now();
    const watchdog = setInterval(() => {
      const idle = inflight.length === 0 && pending.length === 0 && Date.now() - lastActivity > STALL_MS;
      if (idle && this.outbox.pending > 0 && !failed) {
        failed = true;
        finish(new Error('the outbox reader stalled; starting it again'));
      }
    }, STALL_MS / 2);
    void done.finally(() => clearInterval(watchdog)).catch(() => undefined);
    const settle = (): void => {
      let advanced = false;
      while (inflight.length > 0 && (inflight[0] as { ok: boolean }).ok) {
        this.outbox.forwarded((inflight.shift() as { seq: number }).seq);
        advanced = true;
      }
      if (advanced) {
        lastActivity = Date.now();
        onProgress();
      }
      pump();
    };
    const pump = (): void => {
      scheduled = false;
      if (failed || this.stopped) return;
      while (pending.length > 0 && inflight.length < window) {
        const m = pending.shift() as JsMsg;
        const entry = { seq: m.seq, ok: false };
        inflight.push(entry);
        const id = m.headers?.get('Nats-Msg-Id') ?? '';
        const data = appendEnvelopeFields(m.data, { sequence: m.seq, sequenceEpoch: this.outbox.epoch });
        this.publisher.publish(this.paySubject, data, id ? { msgId: id } : undefined).then(
          () => {
            entry.ok = true;
            window = WINDOW;
            settle();
          },
          (err: unknown) => {
            if (failed) return;
            failed = true;
            finish(err);
          },
        );
      }
      if (paused && pending.length === 0 && inflight.length === 0) finish();
    };
    // The reader's start is raced against `done`: nats.js's ordered consumer can keep retrying its creation
    // without end (seen under load after the hub came back), and the watchdog must be able to end this round. A
    // reader that starts after the round ended is stopped at once.
    let ended = false;
    void done.then(
      () => (ended = true),
      () => (ended = true),
    );
    const starting = consumer.consume({
      max_messages: WINDOW,
      callback: (m) => {
        lastActivity = Date.now();
        if (paused || failed) return;
        pending.push(m);
        if (pending.length >= MAX_PENDING) {
          paused = true; // the hub is slower than the outbox reads: stop reading, resume from the acked point
          this.messages?.stop();
        }
        if (!scheduled) {
          scheduled = true;
          queueMicrotask(pump);
        }
      },
    });
    void starting.then(
      (m) => {
        if (ended) m.stop();
      },
      () => undefined,
    );
    const started = await Promise.race([starting, done.then(() => undefined)]);
    if (started === undefined) return done;
    this.messages = started;
    // The reader can end on its own (the leaf restarted, the consumer went away): start again from the acked point.
    void this.messages.closed().then(
      () => {
        if (!paused) finish(this.stopped ? undefined : new Error('the outbox reader stopped'));
      },
      (err: unknown) => finish(err ?? new Error('the outbox reader failed')),
    );
    if (this.stopped) finish();
    return done;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopCurrent?.();
    clearInterval(this.purger);
    this.messages?.stop();
    await this.loop?.catch(() => undefined);
    await this.outbox.purgeForwarded().catch(() => undefined);
  }
}
