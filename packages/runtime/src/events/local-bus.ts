import type { Event, EventHandler } from '@hubspoke/sdk';
import type { Logger as Pino } from 'pino';
import { BoundedQueue } from './bounded-queue.js';
import { compilePattern } from './matcher.js';

/** Counters of the node's event traffic; they only ever rise. */
export interface EventCounters {
  published: number;
  /** Events this node sent to the other side (Down on control, Up on edges). */
  sent: number;
  received: number;
  delivered: number;
  dropped: number;
  handlerErrors: number;
  rejected: number;
  duplicates: number;
}

/** Runs a handler for an event; the host wraps handlers with plugin context (logging, isolation). */
export type HandlerRunner = (handler: EventHandler, ev: Event) => void | Promise<void>;

interface Subscription {
  id: string;
  owner: string;
  pattern: string;
  matches: (topic: string) => boolean;
  handler: EventHandler;
  queue: BoundedQueue<Event>;
  draining: boolean;
  closed: boolean;
  dropped: number;
  lastDropLog: number;
}

const DROP_LOG_INTERVAL_MS = 5000;

/**
 * The node's in-process event bus. Each subscription has its own bounded queue and drains it on its own,
 * one event at a time, so a slow handler holds back only its own subscription; a full queue drops the new
 * event, counts it and logs it (at most every 5 s per subscription, with the count since the last line).
 */
export class LocalBus {
  readonly counters: EventCounters = {
    published: 0,
    received: 0,
    delivered: 0,
    dropped: 0,
    handlerErrors: 0,
    sent: 0,
    rejected: 0,
    duplicates: 0,
  };
  private readonly subs = new Map<string, Subscription>();
  private readonly cache = new Map<string, Subscription[]>();
  private seq = 0;

  constructor(
    private readonly log: Pino,
    private readonly run: HandlerRunner,
    private readonly defaultQueueSize = 1024,
  ) {}

  add(owner: string, pattern: string, handler: EventHandler, queueSize?: number): string {
    const id = `sub-${++this.seq}`;
    const size = queueSize ?? this.defaultQueueSize;
    this.subs.set(id, {
      id,
      owner,
      pattern,
      matches: compilePattern(pattern),
      handler,
      queue: new BoundedQueue(size),
      draining: false,
      closed: false,
      dropped: 0,
      lastDropLog: 0,
    });
    this.cache.clear();
    return id;
  }

  /** Removes a subscription; returns its owner, or undefined when unknown. */
  remove(id: string): string | undefined {
    const s = this.subs.get(id);
    if (!s) return undefined;
    s.closed = true;
    s.queue.clear();
    this.subs.delete(id);
    this.cache.clear();
    return s.owner;
  }

  ownerOf(id: string): string | undefined {
    return this.subs.get(id)?.owner;
  }

  /** Removes every subscription of one owner (a plugin shutting down). */
  removeOwner(owner: string): void {
    for (const s of [...this.subs.values()]) if (s.owner === owner) this.remove(s.id);
  }

  private matching(topic: string): Subscription[] {
    let list = this.cache.get(topic);
    if (!list) {
      list = [];
      for (const s of this.subs.values()) if (s.matches(topic)) list.push(s);
      if (this.cache.size > 4096) this.cache.clear();
      this.cache.set(topic, list);
    }
    return list;
  }

  /** True when some subscription would receive this topic (lets the node skip decoding unwanted traffic). */
  wants(topic: string): boolean {
    return this.matching(topic).length > 0;
  }

  /**
   * Hands the event to every matching subscription; never waits for a handler. With `inline` (events from
   * NATS, whose callback runs outside any plugin's call stack), an idle subscription runs its handler at once,
   * so a burst from one socket read does not fill queues of handlers that are not slow; an async handler then
   * makes its subscription busy, and later events queue behind it. Local publishes always queue, so a handler
   * that publishes never re-enters itself.
   */
  dispatch(ev: Event, inline = false): void {
    for (const s of this.matching(ev.topic)) {
      if (inline && !s.draining) {
        this.runOne(s, ev);
        continue;
      }
      if (!s.queue.push(ev)) {
        this.dropped(s, ev);
        continue;
      }
      if (!s.draining) {
        s.draining = true;
        queueMicrotask(() => void this.drain(s));
      }
    }
  }

  private runOne(s: Subscription, ev: Event): void {
    let r: void | Promise<void>;
    try {
      r = this.run(s.handler, ev);
    } catch (err) {
      this.failed(s, ev, err);
      return;
    }
    if (r === undefined || typeof (r as Promise<void>).then !== 'function') {
      this.counters.delivered++;
      return;
    }
    s.draining = true;
    (r as Promise<void>).then(
      () => {
        this.counters.delivered++;
        void this.drain(s);
      },
      (err: unknown) => {
        this.failed(s, ev, err);
        void this.drain(s);
      },
    );
  }

  private failed(s: Subscription, ev: Event, err: unknown): void {
    this.counters.handlerErrors++;
    this.log.error(
      { err, subscription: s.id, plugin: s.owner, topic: ev.topic, eventId: ev.id },
      'event handler failed',
    );
  }

  private dropped(s: Subscription, ev: Event): void {
    s.dropped++;
    this.counters.dropped++;
    const now = Date.now();
    if (now - s.lastDropLog >= DROP_LOG_INTERVAL_MS) {
      this.log.warn(
        {
          subscription: s.id,
          plugin: s.owner,
          pattern: s.pattern,
          topic: ev.topic,
          eventId: ev.id,
          droppedTotal: s.dropped,
          queueSize: s.queue.capacity,
        },
        'event dropped: subscription queue full (handler too slow)',
      );
      s.lastDropLog = now;
    }
  }

  private async drain(s: Subscription): Promise<void> {
    try {
      for (let ev = s.queue.shift(); ev !== undefined && !s.closed; ev = s.queue.shift()) {
        try {
          const r = this.run(s.handler, ev);
          if (r !== undefined) await r;
          this.counters.delivered++;
        } catch (err) {
          this.failed(s, ev, err);
        }
      }
    } finally {
      s.draining = false;
      if (s.queue.length > 0 && !s.closed) {
        s.draining = true;
        queueMicrotask(() => void this.drain(s));
      }
    }
  }

  /** Subscriptions and their queue depths, for tests and metrics. */
  stats(): { id: string; owner: string; pattern: string; queued: number; dropped: number }[] {
    return [...this.subs.values()].map((s) => ({
      id: s.id,
      owner: s.owner,
      pattern: s.pattern,
      queued: s.queue.length,
      dropped: s.dropped,
    }));
  }
}
