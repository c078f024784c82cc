import type { Envelope, Limits } from '@hubspoke/sdk';
import { subjects, type HostedPlugin, type JetStreamPublisher, type PluginHost } from '@hubspoke/runtime';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { Logger as Pino } from 'pino';
import { deadLetterStep, DeadLetters } from './dead-letters.js';
import { decodeStep } from './decode.js';
import { durableEventStep } from './durable-events.js';
import type { EdgeRecords } from './edge-record.js';
import { Lane, type LaneDeps, type LaneState } from './lane.js';
import { offerHandler, PayloadRoutes, receiversOf, routeStep } from './offer.js';
import type { Ownership } from './ownership.js';
import type { Delivery, Result } from './pipeline.js';
import { retryStep } from './retry.js';
import { LEGACY_DISPATCH_CONSUMER, PAYLOAD_STREAM } from './streams.js';

/** How payloads are offered, retried and shared between replicas. */
export interface DispatchOptions {
  /** Offers of one payload before it is dead-lettered. @default 5 */
  maxDeliveries: number;
  /** First retry delay; doubles each time. @default 100 */
  backoffInitialMs: number;
  /** @default 5000 */
  backoffMaxMs: number;
  /** How long one receiver may take to answer; past it, the offer counts as a failure. @default 30000 */
  offerTimeoutMs: number;
  /** A replica whose lease was not renewed for this long is dead: its edges go to the others. @default 3000 */
  leaseMs: number;
  /** How often each replica looks for edges with payloads and no live owner. @default 500 */
  discoverMs: number;
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
  /** Edges this replica became the owner of. */
  acquired: number;
  /** Times this replica met a payload no receiver of its takes, and left the edge to another replica. */
  handedOver: number;
  /** Edges this replica gave to another because it owned more than its share (a rebalance). */
  rebalanced: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** After handing an edge over for want of a receiver, this replica leaves it to the others for a while. */
const HANDOVER_COOLDOWN_MS = 5000;
/** How long a rebalance waits for the payload in hand of an edge it gives away (else it keeps the edge). */
const HANDOFF_WAIT_MS = 2000;
/**
 * Discovery's `STREAM.INFO` carries every source of `HS_PAYLOADS` (about 270 bytes each: 1.4 MB at 5,000 edges),
 * so it runs less often as sources add up: once per `discoverMs` per SOURCES_PER_STEP sources, at most every
 * MAX_DISCOVER_MS. Edges behind a leaf are taken at their first outbox request meanwhile ({@link Dispatcher.nudge}).
 */
const SOURCES_PER_STEP = 250;
const MAX_DISCOVER_MS = 10_000;

/**
 * Offers edge payloads to the control plane's receivers. Each edge has one owner among the replicas (a lease
 * in KV, {@link Ownership}); the owner reads that edge's payloads in stream order from its record and runs
 * them through the pipeline: dead letters ∘ decode ∘ dedup ∘ durable events ∘ route ∘ retry ∘ offer.
 */
export class Dispatcher {
  readonly counters: DispatchCounters = {
    offered: 0,
    handled: 0,
    failedOffers: 0,
    deadLettered: 0,
    duplicates: 0,
    rejected: 0,
    acquired: 0,
    handedOver: 0,
    rebalanced: 0,
  };
  /** Told the dispatch latency of each payload handled (hub arrival to a receiver's `true`), when metrics are on. */
  onLatency: ((seconds: number) => void) | undefined;
  private readonly lanes = new Map<string, Lane>();
  private readonly cooldown = new Map<string, number>();
  private readonly counts = new Map<string, number>();
  private readonly deps: LaneDeps;
  private timer: NodeJS.Timeout | undefined;
  /** How long between discovery rounds now (grows with the sources of `HS_PAYLOADS`). */
  private discoverEveryMs: number;
  private discovering: Promise<void> | undefined;
  private stopping = false;
  private payloadRoutes: PayloadRoutes | undefined;

  constructor(
    private readonly jsm: JetStreamManager,
    js: JetStreamClient,
    private readonly host: PluginHost,
    records: EdgeRecords,
    private readonly ownership: Ownership,
    publisher: JetStreamPublisher,
    limits: Readonly<Limits>,
    private readonly log: Pino,
    private readonly o: DispatchOptions,
    deliverEvent: (env: Envelope) => void,
  ) {
    const c = this.counters;
    const stopping = () => this.stopping;
    this.deps = {
      js,
      jsm,
      records,
      ownership,
      log,
      stopping,
      legacyFloor: 0,
      outer: [
        deadLetterStep(new DeadLetters(publisher), {
          stopping,
          sleep,
          onDeadLetter: (info) => {
            c.deadLettered++;
            log.error(info, 'payload dead-lettered');
          },
        }),
        decodeStep(limits, () => c.rejected++),
      ],
      inner: [
        durableEventStep(deliverEvent),
        routeStep(
          () => this.routes(),
          (d) => this.handOver(d),
        ),
        retryStep(o, {
          stopping,
          sleep,
          onRetry: (info) => {
            c.failedOffers++;
            log.warn(info, 'payload receiver failed; retrying (later payloads of this edge wait)');
          },
        }),
      ],
      offer: offerHandler(o.offerTimeoutMs, { onOffer: () => c.offered++ }),
      onDuplicate: () => c.duplicates++,
      onResult: (r, d) => this.onResult(r, d),
    };
    ownership.onLost = (ns, edge) => {
      const lane = this.lanes.get(`${ns}.${edge}`);
      lane?.stop();
      this.lanes.delete(`${ns}.${edge}`);
    };
    ownership.onFreed = () => void this.discover();
    this.discoverEveryMs = o.discoverMs;
  }

  /** How long between two discovery rounds now. */
  get discoveryIntervalMs(): number {
    return this.discoverEveryMs;
  }

  /**
   * An edge asked about its outbox (it has payloads waiting, or it checks in): when nobody live owns it, this
   * replica tries to take it now, without waiting for a discovery round; a lane of its own is checked for a quiet
   * reader.
   */
  nudge(ns: string, edge: string): void {
    if (this.stopping || this.receivers().length === 0) return;
    const key = `${ns}.${edge}`;
    const lane = this.lanes.get(key);
    if (lane && !lane.dead) {
      void lane.check();
      return;
    }
    const until = this.cooldown.get(key);
    if (until !== undefined && until > Date.now()) return;
    if (!this.ownership.hasLiveOwner(ns, edge) || this.ownership.holds(ns, edge)) {
      if (lane) this.lanes.delete(key);
      void this.take(ns, edge);
    }
  }

  /** Each lane's state, for diagnostics. */
  lanesState(): LaneState[] {
    return [...this.lanes.values()].map((l) => l.state());
  }

  /** The receivers in load order, and who takes which payload type; plugins are fixed once the node is ready. */
  private routes(): PayloadRoutes {
    return (this.payloadRoutes ??= new PayloadRoutes(receiversOf(this.host)));
  }

  private receivers(): readonly HostedPlugin[] {
    return this.routes().receivers;
  }

  private onResult(r: Result, d: Delivery): void {
    if (r.kind === 'handled') {
      this.counters.handled++;
      this.onLatency?.(Math.max(0, Date.now() - d.receivedNanos / 1e6) / 1000);
    } else if (r.kind === 'dead-lettered' && r.plugin !== '') {
      this.counters.failedOffers++; // the last offer, which failed (the ones before were retried)
    }
  }

  /** A replica without receivers gives a payload's edge up, for a replica that has one (or for later). */
  private handOver(d: Delivery): void {
    const key = `${d.ns}.${d.edge}`;
    if (this.cooldown.has(key)) return;
    this.counters.handedOver++;
    this.log.warn(
      { edge: d.edge, type: d.env?.metadata['type'] },
      'no EdgePayloadReceiver here takes this payload (none loaded, or none for its type): the edge is left to a replica that has one',
    );
    this.cooldown.set(key, Date.now() + HANDOVER_COOLDOWN_MS);
    const lane = this.lanes.get(key);
    this.lanes.delete(key);
    lane?.stop();
    void this.ownership.release(d.ns, d.edge);
  }

  /** Starts looking for edges to dispatch. Resolves true when this replica has a receiver. */
  async start(): Promise<boolean> {
    if (this.receivers().length === 0) {
      this.log.warn(
        'no EdgePayloadReceiver loaded: this replica delivers durable events only; payloads wait for a replica with one',
      );
    }
    try {
      const legacy = await this.jsm.consumers.info(PAYLOAD_STREAM, LEGACY_DISPATCH_CONSUMER);
      this.deps.legacyFloor = legacy.ack_floor.stream_seq;
    } catch {
      // no consumer from before per-edge ownership: nothing to carry over
    }
    await this.discover();
    this.scheduleDiscovery();
    this.log.info(
      { receivers: this.receivers().map((h) => h.name), replica: this.ownership.id },
      'payload dispatch started',
    );
    return this.receivers().length > 0;
  }

  /** After a reconnect (a hub restart, say): every reader starts again from where it was, and edges are looked for. */
  reconnected(): void {
    if (this.stopping) return;
    for (const lane of this.lanes.values()) lane.resume();
    void this.discover();
  }

  private scheduleDiscovery(): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      void this.discover().finally(() => this.scheduleDiscovery());
    }, this.discoverEveryMs);
  }

  /** Finds edges whose payload subject holds messages, and takes those that have no live owner. */
  private discover(): Promise<void> {
    this.discovering ??= this.discoverOnce().finally(() => (this.discovering = undefined));
    return this.discovering;
  }

  private async discoverOnce(): Promise<void> {
    if (this.stopping) return;
    // Per edge, its payloads published (`hs.pay.<ns>.<edge>`) and sourced from its outbox (`hs.outbox.…`).
    const byEdge = new Map<string, number>();
    try {
      const info = await this.jsm.streams.info(PAYLOAD_STREAM, { subjects_filter: subjects.payloadStreamAll });
      const steps = Math.ceil((info.config.sources?.length ?? 0) / SOURCES_PER_STEP);
      this.discoverEveryMs = Math.min(MAX_DISCOVER_MS, this.o.discoverMs * Math.max(1, steps));
      for (const [subject, count] of Object.entries(info.state.subjects ?? {})) {
        const key = subject.slice(subject.indexOf('.', 3) + 1);
        byEdge.set(key, (byEdge.get(key) ?? 0) + count);
      }
    } catch {
      return; // the hub is away: next round
    }
    const now = Date.now();
    const wanted: [string, string][] = [];
    for (const [key, count] of byEdge) {
      const changed = this.counts.get(key) !== count;
      this.counts.set(key, count);
      const lane = this.lanes.get(key);
      const dot = key.indexOf('.');
      if (lane) {
        if (!lane.dead) {
          void lane.check();
          continue;
        }
        this.lanes.delete(key);
        // A lane that stopped while this replica still owns the edge (its record write failed) starts again.
        if (this.ownership.holds(key.slice(0, dot), key.slice(dot + 1))) {
          wanted.push([key.slice(0, dot), key.slice(dot + 1)]);
          continue;
        }
      }
      const until = this.cooldown.get(key);
      if (until !== undefined && until > now) continue;
      this.cooldown.delete(key);
      if (changed || !this.ownership.hasLiveOwner(key.slice(0, dot), key.slice(dot + 1))) {
        wanted.push([key.slice(0, dot), key.slice(dot + 1)]);
      }
    }
    await Promise.all(wanted.map(([ns, edge]) => this.take(ns, edge)));
    await this.rebalance();
  }

  /**
   * Replicas add capacity: a replica that owns more edges than its share (the owned edges over the live
   * replicas, rounded up) gives the excess away, idle edges first, each handed over cleanly (Lane.handOff) and
   * left to the others for HANDOVER_COOLDOWN_MS. A replica that joins gets edges this way within a few
   * discovery rounds; replicas already even move nothing.
   */
  private async rebalance(): Promise<void> {
    if (this.stopping || this.ownership.liveReplicas() < 2) return;
    const excess = this.ownership.owned - this.ownership.fairShare();
    if (excess <= 0) return;
    const lanes = [...this.lanes.values()]
      .filter((l) => !l.dead)
      .sort((a, b) => Number(a.busy) - Number(b.busy))
      .slice(0, excess);
    for (const lane of lanes) {
      if (this.stopping) return;
      const key = `${lane.ns}.${lane.edge}`;
      if (!(await lane.handOff(HANDOFF_WAIT_MS))) continue;
      this.lanes.delete(key);
      this.cooldown.set(key, Date.now() + HANDOVER_COOLDOWN_MS);
      this.counters.rebalanced++;
      await this.ownership.release(lane.ns, lane.edge);
      this.log.info({ edge: lane.edge, ns: lane.ns }, 'edge handed to another replica (rebalance)');
    }
  }

  private async take(ns: string, edge: string): Promise<void> {
    const key = `${ns}.${edge}`;
    if (this.lanes.has(key) || this.stopping) return;
    if (!(await this.ownership.acquire(ns, edge, 2 * this.o.discoverMs))) return;
    if (this.lanes.has(key) || this.stopping) return;
    const lane = new Lane(ns, edge, this.deps);
    this.lanes.set(key, lane);
    this.counters.acquired++;
    try {
      await lane.open();
      this.log.debug({ edge, ns }, 'edge acquired: this replica dispatches it');
    } catch (err) {
      this.log.warn({ err: String(err), edge }, 'edge acquired but its record could not be read; given up');
      lane.stop();
      this.lanes.delete(key);
      await this.ownership.release(ns, edge);
    }
  }

  /** Stops dispatching; the payloads in hand finish, the cursors are written, and the edges are released. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.discovering;
    // The payloads in hand finish (no new one starts once stopping), for up to offerTimeoutMs.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.o.offerTimeoutMs)));
    await Promise.race([Promise.all([...this.lanes.values()].map((l) => l.whenIdle())), late]);
    clearTimeout(timer);
    await Promise.allSettled([...this.lanes.values()].map((l) => l.flush()));
    for (const l of this.lanes.values()) l.stop();
    this.lanes.clear();
  }
}
