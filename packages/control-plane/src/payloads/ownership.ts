import { performance } from 'node:perf_hooks';
import type { KV, KvWatchEntry } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/transport-node';
import type { Logger as Pino } from 'pino';

interface Seen {
  value: string;
  revision: number;
  /** Local monotonic time this revision was first seen: a lease is judged by how long it stood still here. */
  seenAt: number;
}

const MEMBER = 'replica.';
const OWNER = 'owner.';

/**
 * Which replica dispatches which edge, kept in the `hs-dispatch` bucket:
 * - `replica.<id>`: each replica's lease, renewed every `leaseMs / 3`. A replica whose lease stood still (the
 *   same revision) for `leaseMs`, as seen by another replica's own clock, is dead. nats-server 2.9 has no
 *   per-message TTL, so expiry is observed, never written; no two clocks are compared.
 * - `owner.<ns>.<edge>`: the replica that owns the edge, changed only by compare-and-set on its revision: by
 *   create when it has none, or by update when its owner is dead or gone. One owner per edge at a time.
 * A replica believes its own lease for `0.9 × leaseMs` after the send of its last renewal that succeeded; another
 * replica takes over only after `leaseMs` without a change, so the two never dispatch an edge at once (a
 * replica stopped mid-offer, e.g. SIGSTOP, is the exception: the offer in hand finishes; docs/payloads.md).
 */
export class Ownership {
  private readonly seen = new Map<string, Seen>();
  private readonly mine = new Map<string, number>();
  private renewedAt = -Infinity;
  private renewing = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly watches: QueuedIterator<KvWatchEntry>[] = [];
  private closed = false;
  private waiters: (() => void)[] = [];
  /** Told when an edge this replica owned was taken by another. */
  onLost: (ns: string, edge: string) => void = () => undefined;
  /** Told when an edge was given up or a replica left: its edges are up for grabs at once. */
  onFreed: () => void = () => undefined;

  constructor(
    private readonly kv: KV,
    readonly id: string,
    private readonly leaseMs: number,
    private readonly log: Pino,
  ) {}

  async open(): Promise<void> {
    try {
      // Two watches, not one on '>': the bucket also holds the edges' records, written all the time. (nats-server
      // 2.9 takes one filter per consumer.)
      for (const key of [`${MEMBER}>`, `${OWNER}>`]) {
        const w = await this.kv.watch({ key });
        this.watches.push(w);
        void (async () => {
          for await (const e of w) this.onEntry(e);
        })().catch(() => undefined);
      }
      await this.renew();
    } catch (err) {
      // A cluster electing a leader: the caller tries again, so a failed try leaves no watch behind.
      for (const w of this.watches.splice(0)) w.stop();
      throw err;
    }
    this.timer = setInterval(() => void this.tick(), Math.max(50, Math.floor(this.leaseMs / 3)));
  }

  /** True while this replica may dispatch: its lease was renewed recently enough that nobody took its edges. */
  get alive(): boolean {
    return performance.now() - this.renewedAt < this.leaseMs * 0.9;
  }

  /** Milliseconds since the send of the last renewal that landed (diagnostics). */
  get leaseAgeMs(): number {
    return Math.round(performance.now() - this.renewedAt);
  }

  /**
   * Resolves at the next change that can turn `owns` or `holds`: a renewal attempt (landed or not), an owner key
   * changed, or the close. What waits for its lease (the hub was away) wakes then, not on a timer.
   */
  changed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** True while this replica owns the edge and its lease is fresh: it may offer the edge's payloads. */
  owns(ns: string, edge: string): boolean {
    return this.holds(ns, edge) && this.alive;
  }

  /** True while no other replica took the edge (this one's lease may be stale: the hub is away). */
  holds(ns: string, edge: string): boolean {
    return this.mine.has(`${OWNER}${ns}.${edge}`);
  }

  /** How many edges this replica owns. */
  get owned(): number {
    return this.mine.size;
  }

  /** Replicas whose lease is live, this one included (at least 1). */
  liveReplicas(): number {
    const now = performance.now();
    let n = 0;
    for (const [key, s] of this.seen) {
      if (!key.startsWith(MEMBER) || s.value === '') continue;
      if (key === `${MEMBER}${this.id}` || now - s.seenAt <= this.leaseMs) n++;
    }
    return Math.max(1, n);
  }

  /**
   * Edges with a live owner, across the replicas, and those given up in the last `leaseMs` (on their way to another
   * replica). Without the latter, a rebalance that just gave edges away saw the share drop until they were taken,
   * and gave away more: an edge could move twice.
   */
  ownedEdges(): number {
    const now = performance.now();
    let n = 0;
    for (const [key, s] of this.seen) {
      if (!key.startsWith(OWNER)) continue;
      if (!this.isDead(s) || (s.value === '' && now - s.seenAt <= this.leaseMs)) n++;
    }
    return Math.max(n, this.mine.size);
  }

  /** The most edges one replica should own: the owned edges (and `extra` more) spread over the live replicas. */
  fairShare(extra = 0): number {
    return Math.ceil((this.ownedEdges() + extra) / this.liveReplicas());
  }

  /** The edges this replica owns, as [namespace, edge]. */
  ownedList(): [string, string][] {
    return [...this.mine.keys()].map(splitOwner);
  }

  /**
   * Tries to become the edge's owner; false when a live replica owns it or another replica won the race. An
   * edge another replica gave up in the last `graceMs` is left to replicas below their fair share, so a
   * rebalance moves edges to the replicas that have few (after the grace, anyone takes it: none is stranded).
   */
  async acquire(ns: string, edge: string, graceMs = 0): Promise<boolean> {
    const key = `${OWNER}${ns}.${edge}`;
    const held = this.mine.get(key);
    if (held !== undefined) {
      // Held already (a lane of this replica stopped): only if the key still says so, for the watch may lag.
      const e = await this.kv.get(key).catch(() => null);
      if (e === null) return false;
      if (e.operation === 'PUT' && e.revision === held && e.string() === this.id) return this.alive;
      this.mine.delete(key);
      return false;
    }
    if (!this.alive || this.closed) return false;
    let s = this.seen.get(key);
    if (
      s?.value === '' &&
      performance.now() - s.seenAt < graceMs &&
      this.liveReplicas() > 1 &&
      this.mine.size >= this.fairShare(1)
    ) {
      return false;
    }
    if (s === undefined) {
      const e = await this.kv.get(key).catch(() => null);
      if (e) s = this.note(e.key, e.operation === 'PUT' ? e.string() : '', e.revision);
    }
    const value = new TextEncoder().encode(this.id);
    try {
      let revision: number;
      if (s === undefined) revision = await this.kv.create(key, value);
      else if (this.isDead(s)) revision = await this.kv.update(key, value, s.revision);
      else return false;
      this.mine.set(key, revision);
      this.note(key, this.id, revision);
      return true;
    } catch {
      return false;
    }
  }

  /** Gives an edge up (an owner that leaves cleanly): another replica takes it at once. */
  async release(ns: string, edge: string): Promise<void> {
    const key = `${OWNER}${ns}.${edge}`;
    const revision = this.mine.get(key);
    if (revision === undefined) return;
    this.mine.delete(key);
    await this.kv.update(key, new Uint8Array(), revision).catch(() => undefined);
  }

  /**
   * Whether a live replica (this one included) owns the edge. False when its owner is dead or gave it up, and
   * when it never had one: discovery then tries to take it again, whether or not it has new payloads (a take that
   * failed, say while this replica's own lease was not renewed, is tried again).
   */
  hasLiveOwner(ns: string, edge: string): boolean {
    const key = `${OWNER}${ns}.${edge}`;
    if (this.mine.has(key)) return true;
    const s = this.seen.get(key);
    return s !== undefined && !this.isDead(s);
  }

  /** Releases every edge and the lease; another replica takes the edges without waiting for the lease to run out. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    const owned = [...this.mine.keys()];
    await Promise.allSettled(
      owned.map((k) => {
        const [ns, edge] = splitOwner(k);
        return this.release(ns, edge);
      }),
    );
    await this.kv.delete(`${MEMBER}${this.id}`).catch(() => undefined);
    for (const w of this.watches) w.stop();
    this.wake();
  }

  /** An owner key whose replica left, or whose lease stood still for `leaseMs` (unknown: since the key was seen). */
  private isDead(owner: Seen): boolean {
    if (owner.value === '') return true;
    if (owner.value === this.id) return false;
    const m = this.seen.get(`${MEMBER}${owner.value}`);
    if (m === undefined) return performance.now() - owner.seenAt > this.leaseMs;
    return m.value === '' || performance.now() - m.seenAt > this.leaseMs;
  }

  private note(key: string, value: string, revision: number): Seen {
    const old = this.seen.get(key);
    if (old && old.revision >= revision) return old;
    const s = { value, revision, seenAt: performance.now() };
    this.seen.set(key, s);
    return s;
  }

  private onEntry(e: KvWatchEntry): void {
    if (!e.key.startsWith(MEMBER) && !e.key.startsWith(OWNER)) return;
    const value = e.operation === 'PUT' ? e.string() : '';
    this.note(e.key, value, e.revision);
    if (e.key.startsWith(OWNER)) {
      const held = this.mine.get(e.key);
      if (held !== undefined && e.revision > held && value !== this.id) {
        this.mine.delete(e.key);
        const [ns, edge] = splitOwner(e.key);
        this.log.warn(
          { edge, by: value || 'nobody' },
          'edge taken over by another replica; this one stops dispatching it',
        );
        this.onLost(ns, edge);
      }
      if (value === '') this.onFreed();
      this.wake();
    } else if (value === '') {
      this.onFreed();
    }
  }

  /**
   * Renews the lease. After a gap (this replica was stopped, or the hub was away, past `0.9 × leaseMs`), the
   * owner keys are read again before the lease is believed: another replica may have taken edges meanwhile, and
   * its writes may not have come through the watch yet.
   */
  private async renew(): Promise<void> {
    const lapsed = !this.alive;
    const sentAt = performance.now();
    // A short timeout: a renewal lost to a hub restart must not hold up the next one.
    await this.kv.put(`${MEMBER}${this.id}`, new TextEncoder().encode(new Date().toISOString()), {
      timeout: Math.max(250, Math.floor(this.leaseMs / 3)),
    });
    if (lapsed) await this.verify();
    this.renewedAt = sentAt;
    this.wake();
  }

  private async verify(): Promise<void> {
    for (const [key, revision] of [...this.mine]) {
      const e = await this.kv.get(key);
      const still = e !== null && e.operation === 'PUT' && e.revision === revision && e.string() === this.id;
      if (still || !this.mine.has(key)) continue;
      this.mine.delete(key);
      const [ns, edge] = splitOwner(key);
      this.log.warn({ edge }, 'edge taken over by another replica while this one was away; it stops dispatching it');
      this.onLost(ns, edge);
    }
  }

  private async tick(): Promise<void> {
    if (this.closed || this.renewing) return;
    this.renewing = true;
    try {
      await this.renew();
    } catch (err) {
      if (!this.alive) this.log.warn({ err: String(err) }, 'replica lease not renewed: dispatch paused');
    } finally {
      this.renewing = false;
      this.wake(); // a failed renewal too: a lane waiting for its lease looks again (it may be stopping)
    }
  }
}

function splitOwner(key: string): [string, string] {
  const rest = key.slice(OWNER.length);
  const dot = rest.indexOf('.');
  return [rest.slice(0, dot), rest.slice(dot + 1)];
}
