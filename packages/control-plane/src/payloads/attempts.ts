import { Buffer } from 'node:buffer';
import { KvWatchInclude, type KV, type KvWatchEntry } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/transport-node';

const PREFIX = 'offers.';

/**
 * How many times each payload has been offered, kept at the hub so that `deliveryCount` keeps counting across
 * control-plane restarts. Written only before a second or later offer, so the common path writes nothing.
 *
 * JetStream's own delivery count cannot be trusted for this: on nats-server 2.9, a message nak'd by a replica
 * that is stopping (its pull request still open) comes back to the next replica as a first delivery. So every
 * replica follows the keys of this record (a KV watch on `offers.>`) and reads a payload's count whenever one
 * exists for it, whatever JetStream says; the set of such keys is small (payloads whose offers failed and that
 * are not done yet), and a payload without one costs no read.
 */
export class OfferCounts {
  private readonly known = new Set<string>();
  private watch: QueuedIterator<KvWatchEntry> | undefined;

  constructor(private readonly kv: KV) {}

  private key(id: string): string {
    return `${PREFIX}${Buffer.from(id).toString('hex')}`;
  }

  /** Loads which payloads have a count and follows changes made by every replica. */
  async open(): Promise<void> {
    // Changes first (nothing is missed), then what is there now. A key deleted meanwhile may stay known: that
    // costs one read that finds nothing.
    this.watch = await this.kv.watch({ key: `${PREFIX}>`, include: KvWatchInclude.UpdatesOnly });
    void (async () => {
      for await (const e of this.watch as QueuedIterator<KvWatchEntry>) {
        if (e.operation === 'PUT') this.known.add(e.key);
        else this.known.delete(e.key);
      }
    })();
    for await (const k of await this.kv.keys(`${PREFIX}>`)) this.known.add(k);
  }

  close(): void {
    this.watch?.stop();
  }

  /** The stored count, or 0 when there is none (no read at all when no replica has written one). */
  async get(id: string): Promise<number> {
    if (this.known.size === 0) return 0;
    const key = this.key(id);
    if (!this.known.has(key)) return 0;
    const e = await this.kv.get(key);
    if (!e || e.operation !== 'PUT') return 0;
    const n = Number(e.string());
    return Number.isFinite(n) ? n : 0;
  }

  async set(id: string, offers: number): Promise<void> {
    const key = this.key(id);
    await this.kv.put(key, String(offers));
    this.known.add(key);
  }

  async clear(id: string): Promise<void> {
    const key = this.key(id);
    this.known.delete(key);
    await this.kv.delete(key);
  }
}
