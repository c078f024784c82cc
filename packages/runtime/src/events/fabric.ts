import {
  Direction,
  ErrorCode,
  HubspokeError,
  Runtime,
  decodeEnvelope,
  type Envelope,
  type EnvelopeEncoder,
  type Limits,
} from '@hubspoke/sdk';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger as Pino } from 'pino';
import { FabricEvent } from './event.js';
import type { LocalBus } from './local-bus.js';
import { SeenIds } from './seen-ids.js';
import { ALL, subjects } from './subjects.js';

/** Who this node is on the fabric. */
export interface NodeIdentity {
  runtime: Runtime;
  nodeId: string;
  /** The edge's namespace; undefined on the control plane. */
  namespace: string | undefined;
}

/** One event to publish, checked and with its payload already in bytes. */
export interface OutgoingEvent {
  encoder: EnvelopeEncoder;
  origin: string;
  topic: string;
  dir: Direction;
  payload: Uint8Array;
  contentType: string;
  correlationId?: string | undefined;
  causationId?: string | undefined;
  traceparent?: string | undefined;
  metadata?: Readonly<Record<string, string>> | undefined;
  target?: { namespace?: string | undefined; edgeId?: string | undefined };
}

const REJECT_LOG_INTERVAL_MS = 5000;
const EMPTY = new Uint8Array(0);

/** Takes a durable event to disk: the edge's outbox (Up) or the hub's stream of Down events (control plane). */
export type DurableSink = (e: {
  id: string;
  data: Uint8Array;
  subject: string;
  topic: string;
  namespace: string;
  edgeId: string;
}) => Promise<void>;

/** True when subject[start, end) is `value`, or `_all` and value is empty (all namespaces or edges). */
function tokenIs(subject: string, start: number, end: number, value: string): boolean {
  if (value === '') return end - start === ALL.length && subject.startsWith(ALL, start);
  return end - start === value.length && subject.startsWith(value, start);
}

/**
 * Joins a node's local bus to NATS. The node subscribes once to the subjects that can address it (all Up on
 * the control plane; the four Down subjects of an edge) before anything runs, so a local subscription is live
 * across the fabric as soon as it is registered. What arrives is checked against its subject, deduplicated by
 * id and delivered locally as `Local`; it is never forwarded again.
 */
export class Fabric {
  private readonly recent = new SeenIds();
  private readonly subs: Subscription[] = [];
  private lastRejectLog = 0;
  private idSeq = 0;
  private readonly idPrefix: string;

  constructor(
    private readonly me: NodeIdentity,
    private readonly nc: NatsConnection,
    private readonly bus: LocalBus,
    private readonly log: Pino,
    readonly limits: Readonly<Limits>,
    idPrefix: string,
  ) {
    this.idPrefix = idPrefix;
  }

  /** Subscribes to this node's remote subjects and waits until the server has them. */
  async start(): Promise<void> {
    const list =
      this.me.runtime === Runtime.Control
        ? [subjects.upAll]
        : subjects.downFor(this.me.namespace as string, this.me.nodeId);
    for (const subject of list) {
      this.subs.push(this.nc.subscribe(subject, { callback: (err, msg) => this.onRemote(err, msg) }));
    }
    await this.nc.flush();
  }

  /** A new event id: unique per process (a random prefix, then a counter), cheap to make. */
  nextId(): string {
    return this.idPrefix + (++this.idSeq).toString(36);
  }

  /** Delivers locally, then sends it the way its direction and this node's runtime say. Returns the id. */
  publish(o: OutgoingEvent): string {
    const p = this.prepare(o);
    if (p.remote) this.nc.publish(p.subject, p.data);
    return p.id;
  }

  /**
   * A durable event: delivered locally at once, then handed to the runtime's durable sink (the edge's outbox,
   * or the hub's stream of Down events); resolves with the id once the sink has it on disk.
   */
  async publishDurable(o: OutgoingEvent): Promise<string> {
    const sink = this.durableSink;
    if (!sink) {
      throw new HubspokeError(
        ErrorCode.NotSupported,
        `durable events are not available on this node (topic ${o.topic})`,
      );
    }
    const p = this.prepare(o);
    if (p.remote) await sink({ id: p.id, data: p.data, subject: p.subject, topic: o.topic, ...p.target });
    return p.id;
  }

  /** Where durable events go; set by the runtime once its streams are open. */
  durableSink: DurableSink | undefined;

  private prepare(o: OutgoingEvent): {
    id: string;
    remote: boolean;
    subject: string;
    data: Uint8Array;
    target: { namespace: string; edgeId: string };
  } {
    if (this.nc.isClosed()) throw new HubspokeError(ErrorCode.Closed, 'the node is closed');
    const id = this.nextId();
    const time = Date.now();
    const remote =
      (o.dir === Direction.Up && this.me.runtime === Runtime.Edge) ||
      (o.dir === Direction.Down && this.me.runtime === Runtime.Control);
    const target =
      o.dir === Direction.Down
        ? { namespace: o.target?.namespace ?? '', edgeId: o.target?.edgeId ?? '' }
        : { namespace: this.me.namespace ?? '', edgeId: this.me.runtime === Runtime.Edge ? this.me.nodeId : '' };
    this.bus.counters.published++;
    if (this.bus.wants(o.topic)) {
      const env: Envelope = {
        id,
        topic: o.topic,
        direction: o.dir,
        origin: o.origin,
        namespace: target.namespace,
        edgeId: target.edgeId,
        correlationId: o.correlationId ?? '',
        causationId: o.causationId ?? '',
        timeUnixMs: time,
        metadata: o.metadata ?? {},
        traceparent: o.traceparent ?? '',
        contentType: o.contentType,
        payload: o.payload,
      };
      this.bus.dispatch(new FabricEvent(env, o.dir, time));
    }
    if (!remote) return { id, remote, subject: '', data: EMPTY, target };
    this.bus.counters.sent++;
    const data = o.encoder.encode({
      id,
      topic: o.topic,
      direction: o.dir,
      timeUnixMs: time,
      contentType: o.contentType,
      payload: o.payload,
      correlationId: o.correlationId,
      causationId: o.causationId,
      traceparent: o.traceparent,
      metadata: o.metadata,
      namespace: target.namespace,
      edgeId: target.edgeId,
    });
    const subject =
      o.dir === Direction.Up
        ? subjects.up(target.namespace, target.edgeId, o.topic)
        : subjects.down(target.namespace, target.edgeId, o.topic);
    return { id, remote, subject, data, target };
  }

  /**
   * Delivers an event that reached this node another way than its subscriptions (a durable event from the
   * hub's stream): deduplicated by id like the rest, delivered as Local.
   */
  deliverRemote(env: Envelope): void {
    if (!this.recent.add(env.id)) {
      this.bus.counters.duplicates++;
      return;
    }
    this.bus.counters.received++;
    this.bus.dispatch(new FabricEvent(env, Direction.Local, Date.now()), true);
  }

  /** Decides about a live durable Down event (one with a stream sequence): false drops it (seen, or held back). */
  durableFilter: ((env: Envelope) => boolean) | undefined;

  private onRemote(err: Error | null, msg: Msg): void {
    if (err) {
      this.log.error({ err: String(err) }, 'NATS refused a subscription of this node');
      return;
    }
    // hs.evt.<up|down>.<ns>.<edge>.<topic>, taken apart by index: this runs for every message that arrives.
    const subject = msg.subject;
    const up = this.me.runtime === Runtime.Control;
    const i = up ? 10 : 12;
    const a = subject.indexOf('.', i);
    const b = a < 0 ? -1 : subject.indexOf('.', a + 1);
    if (a <= i || b <= a + 1 || b === subject.length - 1)
      return this.reject(subject, 'subject is not an event subject');
    const topic = subject.slice(b + 1);
    if (!this.bus.wants(topic)) return;
    let env: Envelope;
    try {
      env = decodeEnvelope(msg.data, { limits: this.limits });
    } catch (e) {
      return this.reject(subject, (e as Error).message);
    }
    let problem: string | undefined;
    if (env.topic !== topic) problem = `topic ${JSON.stringify(env.topic)} is not ${JSON.stringify(topic)}`;
    else if (env.direction !== (up ? Direction.Up : Direction.Down))
      problem = `direction ${env.direction} is not ${up ? 'up' : 'down'}`;
    else if (!tokenIs(subject, i, a, env.namespace))
      problem = `namespace ${JSON.stringify(env.namespace)} is not the subject's`;
    else if (!tokenIs(subject, a + 1, b, env.edgeId))
      problem = `edge id ${JSON.stringify(env.edgeId)} is not the subject's`;
    if (problem)
      return this.reject(subject, `${ErrorCode.EnvelopeMalformed}: envelope contradicts its subject: ${problem}`);
    if (env.sequence && this.durableFilter && !this.durableFilter(env)) return;
    this.deliverRemote(env);
  }

  private reject(subject: string, why: string): void {
    this.bus.counters.rejected++;
    const now = Date.now();
    if (now - this.lastRejectLog >= REJECT_LOG_INTERVAL_MS) {
      this.lastRejectLog = now;
      this.log.warn({ subject, reason: why, rejectedTotal: this.bus.counters.rejected }, 'message rejected');
    }
  }

  stop(): void {
    for (const s of this.subs.splice(0)) s.unsubscribe();
  }
}
