import type { KVPutOptions, KVService } from '@hubspoke/sdk';
import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { withJetStream } from '../jetstream/unavailable.js';
import { assertKey, assertPrefix, decodeValue, encodeValue } from './ttl.js';

/** How long a KV call waits through a bucket without a leader (a cluster node lost) before it fails, coded. */
const RETRY_FOR_MS = 10_000;

/** Opens (or creates) the node's KV bucket in JetStream; `domain` picks a leaf's JetStream. */
export async function openKvBucket(nc: NatsConnection, bucket: string, domain?: string): Promise<KV> {
  const js = jetstream(nc, domain ? { domain } : {});
  return new Kvm(js).create(bucket, { history: 1 });
}

/** A plugin's KV on a JetStream KV bucket: its keys live under `<plugin>.` and nobody else's are visible. */
export class JetStreamKV implements KVService {
  private readonly prefix: string;
  private readonly what: string;

  constructor(
    private readonly kv: KV,
    plugin: string,
  ) {
    this.prefix = `${plugin}.`;
    this.what = `KV bucket ${(kv as { bucket?: string }).bucket ?? '?'} (plugin ${plugin})`;
  }

  private call<T>(fn: () => Promise<T>): Promise<T> {
    return withJetStream(this.what, fn, RETRY_FOR_MS);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    assertKey(key);
    const e = await this.call(() => this.kv.get(this.prefix + key));
    if (!e || e.operation !== 'PUT') return undefined;
    return decodeValue(e.value);
  }

  async put(key: string, value: Uint8Array | string, opts?: KVPutOptions): Promise<void> {
    assertKey(key);
    const data = encodeValue(value, opts);
    await this.call(() => this.kv.put(this.prefix + key, data));
  }

  async delete(key: string): Promise<boolean> {
    const existed = (await this.get(key)) !== undefined;
    if (existed) await this.call(() => this.kv.delete(this.prefix + key));
    return existed;
  }

  async list(prefix = ''): Promise<string[]> {
    assertPrefix(prefix);
    const names: string[] = [];
    await this.call(async () => {
      names.length = 0;
      for await (const k of await this.kv.keys(`${this.prefix}>`)) {
        const key = k.slice(this.prefix.length);
        if (key.startsWith(prefix)) names.push(key);
      }
    });
    const live = await Promise.all(names.map(async (k) => ((await this.get(k)) !== undefined ? k : undefined)));
    return live.filter((k): k is string => k !== undefined).sort();
  }
}
