import { Direction, isName, type EdgeInfo, type EventsService } from '@hubspoke/sdk';
import { backoffDelay, followBucket, parseHeartbeat, subjects, type HeartbeatBody } from '@hubspoke/runtime';
import type { KV, KvWatchEntry } from '@nats-io/kv';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { QueuedIterator } from '@nats-io/transport-node';
import type { Logger as Pino } from 'pino';
import {
  byNamespaceAndId,
  decodeRecord,
  encodeRecord,
  judgeState,
  nextChange,
  recordKey,
  toEdgeInfo,
  type EdgeRecord,
  type EdgeState,
} from './record.js';

/** Counters of the registry; they only rise. */
export interface RegistryCounters {
  /** Heartbeats accepted. */
  heartbeats: number;
  /** Heartbeats refused: malformed, or naming another edge than their subject. */
  rejected: number;
  /** Registry writes to KV that failed (the next heartbeat writes again). */
  writeErrors: number;
}

const HEARTBEATS = subjects.heartbeatAll;
const HEARTBEAT_QUEUE = 'hs-registry';
/** The first wait before telling an out-of-date edge again to ask for its snapshot; doubles up to the max. */
const RESYNC_FIRST_MS = 2000;
const RESYNC_MAX_MS = 60_000;

/** What the registry asks of the config store. */
export interface RegistryConfigView {
  /** The highest revision among the objects an edge of the namespace should see. */
  latestFor(namespace: string): number;
  /** The digest of what an edge of the namespace should have. */
  digestFor(namespace: string): string;
  /** Tells an edge to ask for its snapshot. */
  resync(namespace: string, edgeId: string): void;
}
const REJECT_LOG_INTERVAL_MS = 5000;
const MIN_SWEEP_MS = 20;
const MAX_SWEEP_MS = 1000;

/**
 * The edge registry of one control-plane replica. The replicas take heartbeats in a queue group: the one that
 * gets a heartbeat writes it to the shared KV bucket (one write per heartbeat, however many replicas); a watch on
 * the bucket keeps a mirror in memory, so each replica sees what the others wrote, and `forget` from anywhere. An edge's identity
 * is its heartbeat's subject, which NATS permissions confine to that edge; a body naming another edge is refused.
 * State is judged here from arrival times, and each replica raises `system.edge.online` / `system.edge.offline`
 * as Local events for its own plugins when the state it judges changes.
 */
export class EdgeRegistry {
  readonly counters: RegistryCounters = { heartbeats: 0, rejected: 0, writeErrors: 0 };
  private readonly records = new Map<string, EdgeRecord>();
  /** The state judged last, for the log. */
  private readonly judged = new Map<string, EdgeState>();
  /** What this replica last told its plugins of each edge (stale is neither: no event). */
  private readonly announced = new Map<string, 'online' | 'offline'>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  private sub: Subscription | undefined;
  private watch: QueuedIterator<KvWatchEntry> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private events: EventsService | undefined;
  private lastRejectLog = 0;
  private stopped = false;
  /** Per edge: when it may be told to resync next, the wait after that, and the digest it had then. */
  private readonly resyncs = new Map<string, { at: number; attempt: number; digest: string | undefined }>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly log: Pino,
    private readonly config?: RegistryConfigView,
  ) {}

  /** Loads the registry from KV and keeps following it; the state judged now raises no event. */
  async open(): Promise<void> {
    this.watch = await followBucket(this.kv, (e) => this.onEntry(e));
    const now = Date.now();
    for (const [k, r] of this.records) {
      const state = judgeState(r, now);
      this.judged.set(k, state);
      this.announced.set(k, state === 'offline' ? 'offline' : 'online');
    }
  }

  /** Starts taking heartbeats and judging; events go out through `events` (Local, on this replica). */
  async start(events: EventsService): Promise<void> {
    this.events = events;
    // A queue group: each heartbeat reaches one replica, which writes it once; the others see it in their watch.
    this.sub = this.nc.subscribe(HEARTBEATS, {
      queue: HEARTBEAT_QUEUE,
      callback: (err, msg) => {
        if (!err) this.onHeartbeat(msg);
      },
    });
    await this.nc.flush();
    this.sweep();
  }

  /** Stops taking heartbeats and judging; waits for the writes in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.sub?.unsubscribe();
    this.watch?.stop();
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Every edge known, offline ones included (until forgotten), by namespace and id. */
  list(): EdgeInfo[] {
    const now = Date.now();
    return [...this.records.values()]
      .sort(byNamespaceAndId)
      .map((r) => toEdgeInfo(r, now, this.config?.latestFor(r.namespace) ?? 0));
  }

  /** How many edges are in each state. */
  countByState(): Record<EdgeState, number> {
    const now = Date.now();
    const out = { online: 0, stale: 0, offline: 0 };
    for (const r of this.records.values()) out[judgeState(r, now)]++;
    return out;
  }

  /** How many edges, not offline, have applied a lower config revision than the latest they should see. */
  configLag(): number {
    const c = this.config;
    if (!c) return 0;
    const now = Date.now();
    let n = 0;
    for (const r of this.records.values()) {
      if (judgeState(r, now) !== 'offline' && r.appliedRevision < c.latestFor(r.namespace)) n++;
    }
    return n;
  }

  /** Removes an edge from the registry (every replica's mirror follows); it reappears if it beats again. */
  async forget(edgeId: string): Promise<boolean> {
    const keys = [...this.records.values()]
      .filter((r) => r.edgeId === edgeId)
      .map((r) => recordKey(r.namespace, r.edgeId));
    for (const k of keys) {
      this.records.delete(k);
      this.dirty.delete(k);
      await this.inFlight.get(k);
      this.judged.delete(k);
      this.announced.delete(k);
      this.resyncs.delete(k);
      await this.kv.delete(k);
    }
    return keys.length > 0;
  }

  private onEntry(e: KvWatchEntry): void {
    if (e.operation !== 'PUT') {
      this.records.delete(e.key);
      this.judged.delete(e.key);
      this.announced.delete(e.key);
      return;
    }
    const r = decodeRecord(e.value);
    if (!r || recordKey(r.namespace, r.edgeId) !== e.key) return;
    const mine = this.records.get(e.key);
    if (!mine) {
      this.records.set(e.key, r);
    } else if (r.lastSeen > mine.lastSeen) {
      this.records.set(e.key, { ...r, firstSeen: Math.min(r.firstSeen, mine.firstSeen) });
    } else if (r.firstSeen < mine.firstSeen) {
      mine.firstSeen = r.firstSeen;
    }
    // A heartbeat another replica took: judge it now rather than at the next sweep.
    if (this.events && !this.stopped) this.judge(e.key, this.records.get(e.key) as EdgeRecord, Date.now());
  }

  private onHeartbeat(msg: Msg): void {
    if (this.stopped) return;
    const parts = msg.subject.split('.');
    const namespace = parts[2] ?? '';
    const edgeId = parts[3] ?? '';
    if (parts.length !== 4 || !isName(namespace) || !isName(edgeId))
      return this.reject(msg.subject, 'subject names no valid edge');
    const b = parseHeartbeat(msg.data);
    if (typeof b === 'string') return this.reject(msg.subject, b);
    if (b.namespace !== namespace || b.edgeId !== edgeId) {
      return this.reject(msg.subject, `body names ${b.namespace}/${b.edgeId}, not the subject's edge`);
    }
    this.counters.heartbeats++;
    const key = recordKey(namespace, edgeId);
    const now = Date.now();
    const r = this.update(key, b, now);
    this.judge(key, r, now);
    this.write(key);
    this.checkConfig(key, b, now);
  }

  /**
   * An edge whose config digest differs from what it should have missed a push (its leaf link was down, say):
   * tell it to ask for its snapshot, at once the first time, then backing off while its digest stays the same
   * (an edge that rejected a config keeps differing until the next revision; asking again changes nothing).
   */
  private checkConfig(key: string, b: HeartbeatBody, now: number): void {
    const c = this.config;
    if (!c || b.leaving || b.configDigest === undefined) return;
    if (b.configDigest === c.digestFor(b.namespace)) {
      this.resyncs.delete(key);
      return;
    }
    const last = this.resyncs.get(key);
    if (last && last.digest === b.configDigest && now < last.at) return;
    const attempt = last && last.digest === b.configDigest ? last.attempt + 1 : 0;
    const waitMs = backoffDelay(attempt, { initialMs: RESYNC_FIRST_MS, maxMs: RESYNC_MAX_MS });
    this.resyncs.set(key, { at: now + waitMs, attempt, digest: b.configDigest });
    c.resync(b.namespace, b.edgeId);
  }

  private update(key: string, b: HeartbeatBody, now: number): EdgeRecord {
    const old = this.records.get(key);
    const r: EdgeRecord = {
      edgeId: b.edgeId,
      namespace: b.namespace,
      firstSeen: old?.firstSeen ?? now,
      lastSeen: now,
      version: b.version,
      heartbeatMs: b.heartbeatMs,
      appliedRevision: b.appliedRevision,
      outboxDepth: b.outboxDepth,
      reconnects: b.reconnects,
      ...(b.lastError === undefined ? {} : { lastError: b.lastError }),
      ...(b.leaving ? { leaving: true } : {}),
    };
    this.records.set(key, r);
    return r;
  }

  /** One write per key in flight; heartbeats arriving meanwhile are folded into the next write. */
  private write(key: string): void {
    if (this.inFlight.has(key)) {
      this.dirty.add(key);
      return;
    }
    const r = this.records.get(key);
    if (!r) return;
    const p = this.kv
      .put(key, encodeRecord(r))
      .then(
        () => undefined,
        (err: unknown) => {
          this.counters.writeErrors++;
          this.log.warn({ err: String(err), edge: key }, 'edge registry write failed');
        },
      )
      .finally(() => {
        this.inFlight.delete(key);
        if (this.dirty.delete(key) && !this.stopped) this.write(key);
      });
    this.inFlight.set(key, p);
  }

  private judge(key: string, r: EdgeRecord, now: number): void {
    const state = judgeState(r, now);
    const before = this.judged.get(key);
    if (before === state) return;
    this.judged.set(key, state);
    this.log.info(
      { edge: r.edgeId, namespace: r.namespace, from: before ?? 'unknown', to: state },
      'edge state changed',
    );
    const told = this.announced.get(key);
    if (state === 'online' && told !== 'online') {
      this.announced.set(key, 'online');
      this.emit('system.edge.online', r);
    } else if (state === 'offline' && told !== 'offline') {
      this.announced.set(key, 'offline');
      if (told === 'online') this.emit('system.edge.offline', r);
    }
  }

  private emit(topic: string, r: EdgeRecord): void {
    this.events?.publish(topic, { edgeId: r.edgeId, namespace: r.namespace }, Direction.Local).catch((err: unknown) => {
      if (!this.stopped) this.log.warn({ err: String(err), topic }, 'edge event not published');
    });
  }

  /** Judges every edge, then sleeps until the next change due (bounded so that heartbeats from peers count). */
  private sweep(): void {
    if (this.stopped) return;
    const now = Date.now();
    let next = now + MAX_SWEEP_MS;
    for (const [key, r] of this.records) {
      this.judge(key, r, now);
      const t = nextChange(r, now);
      if (t !== undefined && t < next) next = t;
    }
    this.timer = setTimeout(() => this.sweep(), Math.max(MIN_SWEEP_MS, next - now + 1));
    this.timer.unref();
  }

  private reject(subject: string, why: string): void {
    this.counters.rejected++;
    const now = Date.now();
    if (now - this.lastRejectLog >= REJECT_LOG_INTERVAL_MS) {
      this.lastRejectLog = now;
      this.log.warn({ subject, why, rejected: this.counters.rejected }, 'heartbeat rejected');
    }
  }
}
