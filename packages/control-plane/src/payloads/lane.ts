import { performance } from 'node:perf_hooks';
import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { subjects } from '@hubspoke/runtime';
import type { Logger as Pino } from 'pino';
import { dedupStep, type OutboxPosition } from './dedup.js';
import { EdgeReader } from './edge-reader.js';
import { RecordConflict, type EdgeRecord, type EdgeRecords } from './edge-record.js';
import type { Ownership } from './ownership.js';
import { compose, type Delivery, type Handler, type Middleware, type Result } from './pipeline.js';
import { sourceOf } from './source-header.js';
import { PAYLOAD_STREAM } from './streams.js';

/** What a lane needs from its dispatcher. */
export interface LaneDeps {
  js: JetStreamClient;
  jsm: JetStreamManager;
  records: EdgeRecords;
  ownership: Ownership;
  /** The steps outside dedup (dead letters, decode) and inside it (durable events, retry) and the offer. */
  outer: readonly Middleware[];
  inner: readonly Middleware[];
  offer: Handler;
  log: Pino;
  stopping(): boolean;
  onDuplicate(): void;
  onResult(r: Result, d: Delivery): void;
  /** Where a lane without a record starts (the old shared consumer's ack floor), or 0. */
  legacyFloor: number;
}

/** A lane's state, for diagnostics (`PayloadDispatch.lanes()`). */
export interface LaneState {
  ns: string;
  edge: string;
  dead: boolean;
  running: boolean;
  paused: boolean;
  draining: boolean;
  /** Where the run waits now (`idle` when it is not running). */
  waiting: string;
  queued: number;
  lastQueued: number;
  streamSeq: number;
  persistedSeq: number;
  claimThrough: number | undefined;
  owns: boolean;
  holds: boolean;
  leaseAgeMs: number;
  msSinceActivity: number;
  reader: ReturnType<EdgeReader['state']>;
}

/** Queue bounds: past HIGH the reader asks for no more, below LOW it asks again. */
const HIGH = 2048;
const LOW = 1024;
/**
 * The most payloads one claim covers (docs/payloads.md: what a replica that dies may have claimed without offering).
 * With 64, the leaf bench's control plane wrote its record once per 28 payloads, and spent about a fifth of its
 * CPU less with 256 (A/B in docs/performance.md).
 */
export const MAX_CLAIM = 256;
/** A claim used up faster than this doubles the next one; slower, the next claims one payload. */
const FAST_CLAIM_MS = 20;
const IDLE_CHECK_MS = 1000;
const IDLE_COMMIT_MS = 100;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * One owned edge: reads its payloads in stream order and runs each through the pipeline, one at a time (a
 * payload that fails holds back the later ones of its edge only). Its record (cursor, outbox position, claim)
 * is written by compare-and-set: before offering payloads it has not claimed yet, and when it runs dry.
 * A write that finds the record moved on means another replica owns the edge: the lane stops at once.
 */
export class Lane {
  private readonly queue: JsMsg[] = [];
  private readonly reader: EdgeReader;
  private readonly handler: Handler;
  private rec: EdgeRecord = { streamSeq: 0, epoch: '', seq: 0 };
  private revision = 0;
  /** What the record in KV says now (the last write that landed). */
  private persisted: EdgeRecord = this.rec;
  /** `deliveryCount` of payloads a replica before this one may have offered (from its claim). */
  private inherited: EdgeRecord['claim'];
  private lastQueued = 0;
  private paused = false;
  private running = false;
  /** Resolves when the current run of the queue ends. */
  private idle: Promise<void> = Promise.resolve();
  private endRun: () => void = () => undefined;
  private writes: Promise<void> = Promise.resolve();
  private claimSize = 1;
  private claimedAt = 0;
  /** A claim written ahead is on its way. */
  private claimWriting = false;
  private lastActivity = performance.now();
  private lastCheck = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  /**
   * The last offer about to be made: the payload in hand (0: none yet) and its `deliveryCount`. Two numbers, not
   * an object: they are set once per payload.
   */
  private headSeq = 0;
  private headCount = 0;
  /** Where the run waits now, for diagnostics. */
  private waiting = 'idle';
  /** Being handed to another replica: no payload is started. */
  private draining = false;
  dead = false;

  constructor(
    readonly ns: string,
    readonly edge: string,
    private readonly deps: LaneDeps,
  ) {
    this.reader = new EdgeReader(
      deps.js,
      subjects.payloadStream(ns, edge),
      (m) => this.onMessage(m),
      (err) => {
        if (!this.dead) deps.log.debug({ err: String(err), edge }, 'payload reader ended; restarted from the record');
        if (!this.dead) setTimeout(() => void this.restartReader(), 500).unref();
      },
      () => !this.paused,
    );
    const position = {
      get: (): OutboxPosition => this.rec,
      set: (p: OutboxPosition) => {
        // In place: once per payload (a copy here was 2% of a control plane's time).
        this.rec.epoch = p.epoch;
        this.rec.seq = p.seq;
        if (p.gaps) this.rec.gaps = p.gaps;
        else delete this.rec.gaps;
        if (p.prev) this.rec.prev = p.prev;
      },
    };
    this.handler = compose([...deps.outer, dedupStep(position, deps.onDuplicate), ...deps.inner], deps.offer);
  }

  /** Reads the record and starts reading after it. */
  async open(): Promise<void> {
    const { record, revision } = await this.deps.records.read(this.ns, this.edge);
    this.revision = revision;
    if (record) this.rec = { ...record };
    if (!record || record.streamSeq === 0) this.rec.streamSeq = Math.max(this.rec.streamSeq, this.deps.legacyFloor);
    this.inherited = record?.claim;
    delete this.rec.claim;
    this.persisted = record ?? this.rec;
    this.lastQueued = this.rec.streamSeq;
    await this.reader.start(this.rec.streamSeq + 1);
  }

  /** Stops reading and dispatching (the edge went to another replica, or this one stops). */
  stop(): void {
    this.dead = true;
    clearTimeout(this.idleTimer);
    this.reader.stop();
    this.queue.length = 0;
  }

  get busy(): boolean {
    return this.running;
  }

  state(): LaneState {
    const o = this.deps.ownership;
    return {
      ns: this.ns,
      edge: this.edge,
      dead: this.dead,
      running: this.running,
      paused: this.paused,
      draining: this.draining,
      waiting: this.running ? this.waiting : 'idle',
      queued: this.queue.length,
      lastQueued: this.lastQueued,
      streamSeq: this.rec.streamSeq,
      persistedSeq: this.persisted.streamSeq,
      claimThrough: this.persisted.claim?.through,
      owns: o.owns(this.ns, this.edge),
      holds: o.holds(this.ns, this.edge),
      leaseAgeMs: o.leaseAgeMs,
      msSinceActivity: Math.round(performance.now() - this.lastActivity),
      reader: this.reader.state(),
    };
  }

  /** Resolves when the payload in hand (if any) is dealt with and the lane's run ended. */
  whenIdle(): Promise<void> {
    return this.running ? this.idle : Promise.resolve();
  }

  /** Writes the cursor of what was dealt with (at a clean stop: the next owner starts there). */
  async flush(): Promise<void> {
    await this.writes;
    const moved = this.rec.streamSeq !== this.persisted.streamSeq || this.persisted.claim !== undefined;
    if (!this.dead && moved) await this.commit(false).catch(() => undefined);
  }

  /**
   * Hands the edge over cleanly (a rebalance): lets the payload in hand finish, within `waitMs`, then writes the
   * cursor with no claim of this replica's (nothing after the cursor was offered here, so the next owner offers
   * each payload with `deliveryCount` 1; a claim inherited from a dead replica stays) and stops. Resolves false,
   * and goes on dispatching, when the payload in hand took longer (a receiver being retried) or the write failed.
   */
  async handOff(waitMs: number): Promise<boolean> {
    if (this.dead) return false;
    this.draining = true;
    if (this.running) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
      await Promise.race([this.idle, late]);
      clearTimeout(timer);
    }
    if (this.running || this.dead) return this.resumeAfterDrain();
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    try {
      await this.writes;
      const r: EdgeRecord = { ...this.rec };
      delete r.claim;
      if (this.inherited && this.inherited.through > r.streamSeq) r.claim = this.inherited;
      this.revision = await this.deps.records.write(this.ns, this.edge, r, this.revision);
      this.persisted = r;
    } catch (err) {
      if (err instanceof RecordConflict) {
        this.stop();
        return false;
      }
      return this.resumeAfterDrain();
    }
    this.stop();
    return true;
  }

  private resumeAfterDrain(): boolean {
    this.draining = false;
    if (!this.dead && !this.running && this.queue.length > 0) void this.run();
    return false;
  }

  /**
   * Called by the dispatcher when the stream has something for this edge: a reader that went quiet (nats.js's
   * ordered consumer can, after a hub restart) while the stream holds more than it delivered is started again.
   */
  async check(): Promise<void> {
    const now = performance.now();
    if (this.dead || this.running) return;
    // Safety nets: payloads queued with no run going (a run that ended early), or a hold left on with room again.
    if (this.queue.length > 0 && !this.draining && !this.deps.stopping()) void this.run();
    if (this.paused && this.queue.length < LOW) {
      this.paused = false;
      this.reader.resume();
    }
    if (this.paused || this.running || now - this.lastActivity < IDLE_CHECK_MS) return;
    if (now - this.lastCheck < IDLE_CHECK_MS) return;
    this.lastCheck = now;
    try {
      const last = await this.deps.jsm.streams.getMessage(PAYLOAD_STREAM, {
        last_by_subj: subjects.payloadStream(this.ns, this.edge),
      });
      if (last && last.seq > this.lastQueued && !this.dead) await this.restartReader();
    } catch {
      // the hub is away: the next check tries again
    }
  }

  /** After a reconnect: the reader starts again from what was queued (an ordered consumer of a restarted hub may go quiet). */
  resume(): void {
    if (!this.dead) void this.restartReader(); // a paused reader starts again held, until the lane has room
  }

  private async restartReader(): Promise<void> {
    if (this.dead) return;
    this.lastActivity = performance.now();
    await this.reader.start(this.lastQueued + 1);
  }

  private onMessage(m: JsMsg): void {
    if (this.dead || m.seq <= this.lastQueued) return;
    this.lastActivity = performance.now();
    this.lastQueued = m.seq;
    this.queue.push(m);
    // The reader asks for no more batches past HIGH (the one on its way still comes).
    if (this.queue.length >= HIGH) this.paused = true;
    if (!this.running && !this.draining) void this.run();
  }

  private nextOfferOf(seq: number): number {
    const c = this.inherited;
    if (!c || seq > c.through) return 1;
    return seq === c.first ? c.offered + 1 : 2;
  }

  private async run(): Promise<void> {
    this.running = true;
    this.idle = new Promise((resolve) => (this.endRun = resolve));
    try {
      while (this.queue.length > 0 && !this.dead && !this.draining && !this.deps.stopping()) {
        const m = this.queue[0] as JsMsg;
        const d: Delivery = {
          ns: this.ns,
          edge: this.edge,
          seq: m.seq,
          data: m.data,
          receivedNanos: m.info.timestampNanos,
          source: sourceOf(m),
          nextOffer: this.nextOfferOf(m.seq),
          beforeOffer: (count) => this.beforeOffer(m.seq, count),
        };
        this.waiting = 'handler';
        const r = await this.handler(d);
        if (r.kind === 'stopped') break;
        this.queue.shift();
        this.rec.streamSeq = m.seq;
        this.lastActivity = performance.now();
        this.deps.onResult(r, d);
        if (this.paused && this.queue.length < LOW) {
          this.paused = false;
          this.reader.resume();
        }
      }
      if (!this.dead && !this.draining && this.queue.length === 0) this.scheduleIdleCommit();
    } catch (err) {
      this.deps.log.error({ err, edge: this.edge }, 'payload lane failed; the edge is given up for another replica');
      this.stop();
    } finally {
      this.running = false;
      this.endRun();
    }
  }

  /**
   * Once the lane ran dry for IDLE_COMMIT_MS: writes the cursor and drops the claim (no offer state is left).
   * A payload arriving meanwhile carries the cursor in its claim write instead: at a trickle, one write each.
   */
  private scheduleIdleCommit(): void {
    if (this.idleTimer) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.dead || this.running || this.queue.length > 0) return;
      if (this.rec.streamSeq === this.persisted.streamSeq && !this.persisted.claim) return;
      this.writes = this.writes.then(() => this.commit(false)).catch(() => undefined);
    }, IDLE_COMMIT_MS);
    this.idleTimer.unref();
  }

  /**
   * Makes sure the record says this payload may be offered `count` times before the offer is made. Ownership is
   * checked again after every wait, as the last thing before the offer: a replica SIGSTOPped during a KV write
   * and resumed after another took the edge over must not offer (it did, once, in a fault test). What remains is
   * the few microtasks between this check and the receiver's call.
   */
  private beforeOffer(seq: number, count: number): Promise<void> | undefined {
    this.headSeq = seq;
    this.headCount = count;
    // The common case, without a promise: this replica owns the edge and the claim that landed covers the payload
    // (no wait for a write in flight: the next claim, written ahead).
    if (
      !this.dead &&
      !this.deps.stopping() &&
      this.deps.ownership.owns(this.ns, this.edge) &&
      this.covers(seq, count)
    ) {
      if (count === 1) this.claimAhead(seq);
      return undefined;
    }
    return this.recordOffer(seq, count);
  }

  private async recordOffer(seq: number, count: number): Promise<void> {
    for (;;) {
      this.waiting = 'lease';
      await this.untilOwner();
      if (this.covers(seq, count)) {
        if (count === 1) this.claimAhead(seq);
        return;
      }
      this.waiting = 'record write';
      await this.writes;
      if (!this.deps.ownership.owns(this.ns, this.edge)) continue;
      if (this.covers(seq, count)) return;
      const c = this.persisted.claim;
      let through = seq;
      if (count === 1) {
        through = this.nextClaimThrough(seq);
      } else if (c && c.through > seq) {
        through = c.through;
      }
      // Payloads a dead replica may have offered stay claimed, so a third owner still counts them as repeats.
      if (this.inherited && this.inherited.through > through) through = this.inherited.through;
      this.rec.claim = { through, first: seq, offered: count };
      const p = this.commit(true);
      this.writes = p.catch(() => undefined);
      this.waiting = 'claim write';
      await p;
      if (this.deps.ownership.owns(this.ns, this.edge)) return;
    }
  }

  private covers(seq: number, count: number): boolean {
    const c = this.persisted.claim;
    return c !== undefined && seq <= c.through && (count === 1 || (c.first === seq && c.offered >= count));
  }

  /**
   * Where a new claim from the payload in hand (`seq`, the head of the queue) ends: the payloads queued after it,
   * `claimSize` in all. The size doubles (up to MAX_CLAIM) while claims are used up fast, else falls to one. Only
   * queued payloads: one that came after a receiver started hanging is never claimed by this replica, so should it
   * die, that payload's first offer elsewhere says `deliveryCount` 1 (a claim reaching `claimSize` stream sequences
   * ahead was tried: it flagged those too).
   */
  private nextClaimThrough(seq: number): number {
    const now = performance.now();
    this.claimSize = now - this.claimedAt < FAST_CLAIM_MS ? Math.min(this.claimSize * 2, MAX_CLAIM) : 1;
    this.claimedAt = now;
    const last = this.queue[Math.min(this.claimSize, this.queue.length) - 1];
    return Math.max(seq, last?.seq ?? seq);
  }

  /**
   * Writes the next claim while the one that landed still covers a quarter of its payloads, so the lane does not wait a
   * hub round trip every `claimSize` payloads (12% of a control plane's time in the leaf bench). Like every claim
   * it starts at the payload in hand and covers only payloads already queued, at most MAX_CLAIM in all: what a
   * replica that dies may have claimed without offering stays within the bound docs/payloads.md gives.
   */
  private claimAhead(seq: number): void {
    const c = this.persisted.claim;
    const q = this.queue;
    if (this.claimWriting || this.dead || !c || q.length < 2 || (q[q.length - 1] as JsMsg).seq <= c.through) return;
    // More than a quarter of the claim left behind the payload in hand (the queue is in stream order): not yet.
    const quarter = this.claimSize >> 2;
    if (quarter + 1 < q.length && (q[quarter + 1] as JsMsg).seq <= c.through) return;
    let through = this.nextClaimThrough(seq);
    if (this.inherited && this.inherited.through > through) through = this.inherited.through;
    if (through <= c.through) return;
    this.rec.claim = { through, first: seq, offered: 1 };
    this.claimWriting = true;
    const p = this.writes.then(() => this.commit(true)).finally(() => (this.claimWriting = false));
    this.writes = p.catch(() => undefined);
  }

  /** Waits while this replica's lease is not renewed (the hub is away); stops the lane when another took the edge. */
  private async untilOwner(): Promise<void> {
    for (;;) {
      if (this.dead || this.deps.stopping()) throw new RecordConflict('the lane stopped');
      if (this.deps.ownership.owns(this.ns, this.edge)) return;
      if (!this.deps.ownership.holds(this.ns, this.edge)) {
        this.stop();
        throw new RecordConflict('another replica owns the edge');
      }
      await this.deps.ownership.changed(); // no offer until the lease is renewed (or the edge is lost)
    }
  }

  /**
   * Writes the record (with the claim, or without once the lane ran dry: then only what a dead replica may
   * have offered stays claimed); a conflict stops the lane.
   */
  private async commit(withClaim: boolean): Promise<void> {
    const r: EdgeRecord = { ...this.rec };
    const old = this.inherited;
    if (!withClaim) {
      // Keep the claim of the payload in hand when it was offered and not dealt with (a stop in the middle of
      // retries): the next owner goes on counting from it. The rest of a claim covers payloads never offered here.
      // A claim inherited from a dead replica stays while it covers payloads after the cursor.
      const h = this.headSeq;
      const inherited = old && old.through > r.streamSeq ? old : undefined;
      const keep =
        h > r.streamSeq && (this.queue[0] as JsMsg | undefined)?.seq === h
          ? { first: h, through: Math.max(h, inherited?.through ?? 0), offered: this.headCount }
          : inherited;
      if (keep) r.claim = keep;
      else delete r.claim;
    }
    for (let wait = 100; ; wait = Math.min(wait * 2, 2000)) {
      if (this.dead && withClaim) throw new RecordConflict('lane stopped');
      try {
        this.revision = await this.deps.records.write(this.ns, this.edge, r, this.revision);
        this.persisted = r;
        if (!withClaim && old && old.through <= r.streamSeq) this.inherited = undefined;
        if (!r.claim) delete this.rec.claim;
        return;
      } catch (err) {
        if (err instanceof RecordConflict) {
          this.deps.log.warn({ edge: this.edge }, err.message);
          this.stop();
          throw err;
        }
        if (this.deps.stopping()) {
          // Stopping: a cursor that does not land is read again by the next owner; a claim is not needed, as
          // nothing more is offered (the offer waiting for it is given up).
          if (!withClaim) return;
          throw new RecordConflict('the replica is stopping');
        }
        this.deps.log.warn(
          { edge: this.edge, err: String(err), retryMs: wait },
          'dispatch record not written; this edge waits and tries again',
        );
        await sleep(wait);
      }
    }
  }
}
