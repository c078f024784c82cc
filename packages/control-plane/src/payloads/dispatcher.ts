import { decodeEnvelope, type Envelope, type Limits } from '@hubspoke/sdk';
import { SeenIds, type JetStreamPublisher, type PluginHost } from '@hubspoke/runtime';
import {
  AckPolicy,
  DeliverPolicy,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { Logger as Pino } from 'pino';
import type { OfferCounts } from './attempts.js';
import { DeadLetters } from './dead-letters.js';
import { offerPayload, receiversOf, toEdgePayload, type Outcome } from './offer.js';
import type { EdgeRecord, EdgeRecords } from './edge-record.js';
import { DISPATCH_CONSUMER, PAYLOAD_STREAM } from './streams.js';

/** How payloads are offered and retried. */
export interface DispatchOptions {
  /** Offers of one payload before it is dead-lettered. @default 5 */
  maxDeliveries: number;
  /** First retry delay; doubles each time. @default 100 */
  backoffInitialMs: number;
  /** @default 5000 */
  backoffMaxMs: number;
  /** How long one receiver may take to answer; past it, the offer counts as a failure. @default 30000 */
  offerTimeoutMs: number;
  /** JetStream's ack wait: a payload held by a replica that died is offered again after it. @default 30000 */
  ackWaitMs: number;
  /** How long a payload waits for an earlier one of its edge handled by another replica. @default 30000 */
  holdMs: number;
}

/** Counters of the dispatcher; they only rise. */
export interface DispatchCounters {
  offered: number;
  handled: number;
  failedOffers: number;
  deadLettered: number;
  duplicates: number;
  /** Payloads that did not decode or named another edge than their subject (dead-lettered too). */
  rejected: number;
}

/**
 * Acks sent together: each lane acks from its own continuation, so acks made one by one would each be a socket
 * write of their own (nats.js flushes once per microtask turn); collected and sent in one pass per event-loop
 * turn, they leave in one write. The profile of the direct-payload bench spent a third of the control plane's
 * busy time in those writes.
 */
class AckBatch {
  private pending: JsMsg[] = [];
  private scheduled = false;

  ack(m: JsMsg): void {
    this.pending.push(m);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Sends what is pending now (at stop: nothing handled is left unacked). */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    for (const x of batch) {
      try {
        x.ack();
      } catch {
        // The connection is closed: the payload comes again and is recognised by its record or id.
      }
    }
  }
}

/** One edge's payloads, in order: a payload that fails holds back the later ones of its edge only. */
class Lane {
  readonly queue: JsMsg[] = [];
  current: JsMsg | undefined;
  running = false;
  record: EdgeRecord | undefined;
  recordLoaded = false;
  /** Handled payloads waiting for the record write that covers them. */
  readonly toAck: JsMsg[] = [];
  writing = false;

  constructor(
    readonly ns: string,
    readonly edge: string,
  ) {}

  /**
   * Queues a message in stream order (an edge's order): redeliveries can come back in any order, and a copy of
   * a message already queued replaces it.
   */
  add(m: JsMsg): void {
    const q = this.queue;
    let i = q.length;
    while (i > 0 && (q[i - 1] as JsMsg).seq > m.seq) i--;
    if (i > 0 && (q[i - 1] as JsMsg).seq === m.seq) q[i - 1] = m;
    else q.splice(i, 0, m);
  }

  /** True when a message before `m` in the stream is waiting here: it must go first. */
  hasEarlier(m: JsMsg): boolean {
    return this.queue.length > 0 && (this.queue[0] as JsMsg).seq < m.seq;
  }
}

const YIELD = Symbol('yield');

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Offers edge payloads to the control plane's receivers. One durable consumer is shared by every replica;
 * each replica keeps one lane per edge so that an edge's payloads are offered in order, and a per-edge record
 * (outbox epoch and sequence) makes a payload seen twice, however late, a duplicate.
 */
export class Dispatcher {
  readonly counters: DispatchCounters = {
    offered: 0,
    handled: 0,
    failedOffers: 0,
    deadLettered: 0,
    duplicates: 0,
    rejected: 0,
  };
  /** Told the dispatch latency of each payload handled (hub arrival to a receiver's `true`), when metrics are on. */
  onLatency: ((seconds: number) => void) | undefined;
  private readonly lanes = new Map<string, Lane>();
  private readonly recent = new SeenIds();
  private readonly acks = new AckBatch();
  private readonly dlq: DeadLetters;
  private messages: ConsumerMessages | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly host: PluginHost,
    private readonly records: EdgeRecords,
    private readonly offers: OfferCounts,
    publisher: JetStreamPublisher,
    private readonly limits: Readonly<Limits>,
    private readonly log: Pino,
    private readonly o: DispatchOptions,
    private readonly deliverEvent: (env: Envelope) => void,
  ) {
    this.dlq = new DeadLetters(publisher);
  }

  private receiverList: ReturnType<typeof receiversOf> | undefined;

  /** The receivers in load order; plugins are fixed once the node is ready, so this is read once. */
  private receivers() {
    return (this.receiverList ??= receiversOf(this.host));
  }

  /**
   * Starts consuming. A replica with no EdgePayloadReceiver still delivers durable events; payloads it gets
   * go back to JetStream for a replica that has one (or stay at the hub until one is deployed).
   */
  async start(): Promise<boolean> {
    if (this.receivers().length === 0) {
      this.log.warn(
        'no EdgePayloadReceiver loaded: this replica delivers durable events only; payloads wait at the hub',
      );
    }
    const config = {
      durable_name: DISPATCH_CONSUMER,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: this.o.ackWaitMs * 1_000_000,
      max_ack_pending: 4096,
      max_deliver: -1,
      filter_subject: 'hs.pay.>',
    };
    try {
      await this.jsm.consumers.info(PAYLOAD_STREAM, DISPATCH_CONSUMER);
      await this.jsm.consumers.update(PAYLOAD_STREAM, DISPATCH_CONSUMER, {
        ack_wait: config.ack_wait,
        max_ack_pending: 4096,
      });
    } catch (err) {
      if (!/consumer not found/i.test(String(err))) throw err;
      await this.jsm.consumers.add(PAYLOAD_STREAM, config);
    }
    const consumer = await this.js.consumers.get(PAYLOAD_STREAM, DISPATCH_CONSUMER);
    // Short pull expiry: a replica that dies leaves pull requests behind, which absorb redeliveries until they expire.
    this.messages = await consumer.consume({ max_messages: 512, expires: 5000, callback: (m) => this.route(m) });
    const every = Math.max(100, Math.floor(this.o.ackWaitMs / 3));
    this.keepAlive = setInterval(() => {
      for (const lane of this.lanes.values()) {
        lane.current?.working();
        for (const q of lane.queue) q.working();
      }
    }, every);
    this.log.info({ receivers: this.receivers().map((h) => h.name) }, 'payload dispatch started');
    return this.receivers().length > 0;
  }

  private route(m: JsMsg): void {
    if (this.stopping) {
      m.nak();
      return;
    }
    const key = m.subject.slice('hs.pay.'.length);
    let lane = this.lanes.get(key);
    if (!lane) {
      const dot = key.indexOf('.');
      lane = new Lane(key.slice(0, dot), key.slice(dot + 1));
      this.lanes.set(key, lane);
    }
    if (lane.current?.seq === m.seq) {
      lane.current = m; // JetStream delivered the one in hand again; keep the newer handle
      return;
    }
    lane.add(m);
    if (!lane.running) void this.run(lane);
  }

  private async run(lane: Lane): Promise<void> {
    lane.running = true;
    try {
      for (let m = lane.queue.shift(); m !== undefined; m = lane.queue.shift()) {
        if (this.stopping) {
          m.nak();
          continue;
        }
        lane.current = m;
        try {
          if ((await this.process(lane, m)) === YIELD) lane.add(lane.current);
        } catch (err) {
          this.log.error(
            { err, subject: m.subject, seq: m.seq },
            'payload dispatch failed; JetStream will deliver it again',
          );
        }
        lane.current = undefined;
      }
    } finally {
      lane.running = false;
    }
  }

  private async recordOf(lane: Lane, fresh = false): Promise<EdgeRecord | undefined> {
    if (!lane.recordLoaded || fresh) {
      lane.record = await this.records.read(lane.ns, lane.edge);
      lane.recordLoaded = true;
    }
    return lane.record;
  }

  private async process(lane: Lane, m: JsMsg): Promise<void | typeof YIELD> {
    let env: Envelope;
    try {
      env = decodeEnvelope(m.data, { kind: 'payload', limits: this.limits });
    } catch (err) {
      this.counters.rejected++;
      return this.deadLetter(lane, m, undefined, (err as Error).message, '', 0);
    }
    if (env.namespace !== lane.ns || env.edgeId !== lane.edge) {
      this.counters.rejected++;
      const why = `envelope names ${env.namespace}/${env.edgeId}, subject ${lane.ns}/${lane.edge}`;
      return this.deadLetter(
        lane,
        m,
        undefined,
        `HS_ERR_ENVELOPE_MALFORMED: envelope contradicts its subject: ${why}`,
        '',
        0,
      );
    }
    if (env.sequence) {
      let rec = await this.recordOf(lane);
      // No record yet for this outbox: its first payload is 1; a later one waits for it (another replica may have it).
      const behind = rec && rec.epoch === env.sequenceEpoch ? env.sequence > rec.seq + 1 : env.sequence > 1;
      if (behind) {
        const held = await this.holdFor(lane, m, env.sequence - 1, env.sequenceEpoch ?? '');
        if (held === YIELD) return YIELD;
        rec = held;
      }
      if (rec && rec.epoch === env.sequenceEpoch && env.sequence <= rec.seq) return this.duplicate(m);
    } else if (this.recent.has(env.id)) {
      return this.duplicate(m);
    }
    if (env.topic) {
      // A durable Up event: delivered to this control plane's subscribers as Local, like a live one.
      this.deliverEvent(env);
      return this.done(lane, m, env, false);
    }
    if (this.receivers().length === 0) {
      // Keep the edge's order: this payload and everything after it of the same edge go back, for later.
      m.nak(1000);
      for (const q of lane.queue.splice(0)) q.nak(1000);
      return;
    }
    const stored = await this.offers.get(env.id);
    let count = Math.max(stored + 1, m.info.deliveryCount);
    for (;;) {
      if (count > 1) await this.offers.set(env.id, count);
      const outcome = await this.offer(lane, m, env, count);
      if (outcome.kind === 'handled') {
        this.counters.handled++;
        this.onLatency?.(Math.max(0, Date.now() - m.info.timestampNanos / 1e6) / 1000);
        return this.done(lane, m, env, count > 1);
      }
      if (outcome.kind === 'none') {
        return this.deadLetter(
          lane,
          m,
          env,
          'no receiver handled it (every acceptEdgePayload returned false)',
          '',
          count,
        );
      }
      this.counters.failedOffers++;
      if (count >= this.o.maxDeliveries) return this.deadLetter(lane, m, env, outcome.error, outcome.plugin, count);
      const delay = Math.min(this.o.backoffInitialMs * 2 ** (count - 1), this.o.backoffMaxMs);
      this.log.warn(
        { payloadId: env.id, plugin: outcome.plugin, err: outcome.error, deliveryCount: count, retryInMs: delay },
        'payload receiver failed; retrying (later payloads of this edge wait)',
      );
      await sleep(delay);
      if (this.stopping) {
        m.nak();
        return;
      }
      count++;
    }
  }

  /** Waits until another replica has dealt with the payload before this one (an edge's order holds across replicas). */
  private async holdFor(
    lane: Lane,
    m: JsMsg,
    seq: number,
    epoch: string,
  ): Promise<EdgeRecord | undefined | typeof YIELD> {
    const deadline = Date.now() + this.o.holdMs;
    for (;;) {
      if (lane.hasEarlier(m)) return YIELD;
      const rec = await this.recordOf(lane, true);
      const caughtUp = rec !== undefined && rec.epoch === epoch && rec.seq >= seq;
      if (caughtUp || this.stopping) return rec;
      if (Date.now() > deadline) {
        this.log.warn(
          { edge: lane.edge, waitingFor: seq, record: rec?.seq ?? 'none', holdMs: this.o.holdMs },
          'payload gap: an earlier payload of this edge did not come within the hold time; going on',
        );
        return rec;
      }
      await sleep(50);
    }
  }

  private duplicate(m: JsMsg): void {
    this.counters.duplicates++;
    m.ack();
  }

  private async offer(lane: Lane, m: JsMsg, env: Envelope, deliveryCount: number): Promise<Outcome> {
    this.counters.offered++;
    return offerPayload(
      this.receivers(),
      toEdgePayload(env, lane.ns, lane.edge, m.info.timestampNanos, deliveryCount),
      env,
      this.o.offerTimeoutMs,
    );
  }

  /**
   * Records the edge's position, then acks. The write is group-committed: one write per lane in flight; the
   * payloads handled meanwhile are acked together once the next write, carrying the highest position, lands.
   */
  private done(lane: Lane, m: JsMsg, env: Envelope, hadRetries: boolean, handled = true): void {
    if (hadRetries) void this.offers.clear(env.id).catch(() => undefined);
    if (!env.sequence) {
      // Only a handled id counts as seen: a dead-lettered one may come back by a redrive, with the same id.
      if (handled) this.recent.add(env.id);
      this.acks.ack(m);
      return;
    }
    lane.record = { epoch: env.sequenceEpoch ?? '', seq: env.sequence };
    lane.toAck.push(m);
    if (!lane.writing) this.commit(lane);
  }

  private commit(lane: Lane): void {
    const acks = lane.toAck.splice(0);
    const record = lane.record as EdgeRecord;
    lane.writing = true;
    this.records.write(lane.ns, lane.edge, record).then(
      () => {
        for (const a of acks) this.acks.ack(a);
        lane.writing = false;
        if (lane.toAck.length > 0) this.commit(lane);
      },
      (err: unknown) => {
        lane.writing = false;
        this.log.warn(
          { err: String(err), edge: lane.edge },
          'dispatch record not written; those payloads will come again',
        );
        if (lane.toAck.length > 0) this.commit(lane);
      },
    );
  }

  private async deadLetter(
    lane: Lane,
    m: JsMsg,
    env: Envelope | undefined,
    reason: string,
    plugin: string,
    attempts: number,
  ): Promise<void> {
    await this.dlq.put(lane.ns, lane.edge, m, { reason, plugin, attempts });
    this.counters.deadLettered++;
    this.log.error({ payloadId: env?.id, edge: lane.edge, reason, plugin, attempts }, 'payload dead-lettered');
    if (env) this.done(lane, m, env, false, false);
    else m.ack();
  }

  /** Stops taking payloads; the one in hand finishes, the rest go back to JetStream for another replica. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.keepAlive);
    this.messages?.stop();
    const deadline = Date.now() + this.o.offerTimeoutMs;
    while ([...this.lanes.values()].some((l) => l.running) && Date.now() < deadline) await sleep(20);
    this.acks.flush();
  }
}
