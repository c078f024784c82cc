import type { KVPutOptions, KVService } from '@hubspoke/sdk';
import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { assertKey, assertPrefix, decodeValue, encodeValue } from './ttl.js';

/** Opens (or creates) the node's KV bucket in JetStream; `domain` picks a leaf's JetStream. */
export async function openKvBucket(nc: NatsConnection, bucket: string, domain?: string): Promise<KV> {
  const js = jetstream(nc, domain ? { domain } : {});
  return new Kvm(js).create(bucket, { history: 1 });
}

/** A plugin's KV on a JetStream KV bucket: its keys live under `<plugin>.` and nobody else's are visible. */
export class JetStreamKV implements KVService {
  private readonly prefix: string;

  constructor(
    private readonly kv: KV,
    plugin: string,
  ) {
    this.prefix = `${plugin}.`;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    assertKey(key);
    const e = await this.kv.get(this.prefix + key);
    if (!e || e.operation !== 'PUT') return undefined;
    return decodeValue(e.value);
  }

  async put(key: string, value: Uint8Array | string, opts?: KVPutOptions): Promise<void> {
    assertKey(key);
    await this.kv.put(this.prefix + key, encodeValue(value, opts));
  }

  async delete(key: string): Promise<boolean> {
    const existed = (await this.get(key)) !== undefined;
    if (existed) await this.kv.delete(this.prefix + key);
    return existed;
  }

  async list(prefix = ''): Promise<string[]> {
    assertPrefix(prefix);
    const names: string[] = [];
    for await (const k of await this.kv.keys(`${this.prefix}>`)) {
      const key = k.slice(this.prefix.length);
      if (key.startsWith(prefix)) names.push(key);
    }
    const live = await Promise.all(names.map(async (k) => ((await this.get(k)) !== undefined ? k : undefined)));
    return live.filter((k): k is string => k !== undefined).sort();
  }
}
