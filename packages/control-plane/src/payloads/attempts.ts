import { Buffer } from 'node:buffer';
import type { KV } from '@nats-io/kv';

/**
 * How many times each payload has been offered, kept at the hub so that `deliveryCount` keeps counting across
 * control-plane restarts. Written only before a second or later offer (the first needs no record: a payload
 * JetStream delivers again was offered at least once), so the common path writes nothing.
 */
export class OfferCounts {
  constructor(private readonly kv: KV) {}

  private key(id: string): string {
    return `offers.${Buffer.from(id).toString('hex')}`;
  }

  async get(id: string): Promise<number> {
    const e = await this.kv.get(this.key(id));
    if (!e || e.operation !== 'PUT') return 0;
    const n = Number(e.string());
    return Number.isFinite(n) ? n : 0;
  }

  async set(id: string, offers: number): Promise<void> {
    await this.kv.put(this.key(id), String(offers));
  }

  async clear(id: string): Promise<void> {
    await this.kv.delete(this.key(id));
  }
}
