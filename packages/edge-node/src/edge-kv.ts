import { join } from 'node:path';
import type { KVService } from '@hubspoke/sdk';
import { FileKV, JetStreamKV, openKvBucket } from '@hubspoke/runtime';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger as Pino } from 'pino';

/** Where an edge keeps its plugins' KV. */
export type EdgeKvMode = 'auto' | 'jetstream' | 'file';

/**
 * The edge's JetStream domain when it is connected to a leaf with JetStream of its own; undefined when it is
 * connected straight to the hub (domain `hub`, or none) or has no JetStream access at all.
 */
export async function localJetStreamDomain(nc: NatsConnection): Promise<string | undefined> {
  try {
    const jsm = await jetstreamManager(nc, { timeout: 2000 });
    const info = await jsm.getAccountInfo();
    return info.domain && info.domain !== 'hub' ? info.domain : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Opens the edge's KV: its leaf's JetStream when it has one, a local file otherwise (edges get no JetStream
 * API at the hub: DESIGN.md says why). `jetstream` and `file` force the choice.
 */
export async function openEdgeKv(
  nc: NatsConnection,
  log: Pino,
  mode: EdgeKvMode,
  stateDir: string,
  domain: string | undefined,
): Promise<EdgeKv> {
  if (mode === 'jetstream' || (mode === 'auto' && domain)) {
    const bucket = await openKvBucket(nc, 'hs-kv', domain);
    log.info({ domain: domain ?? '(default)' }, 'edge KV in the local JetStream');
    // Its writes go through NATS, which the node drains at close.
    return { kv: (plugin) => new JetStreamKV(bucket, plugin), close: async () => undefined };
  }
  const dir = join(stateDir, 'kv');
  log.info({ dir }, 'edge KV in local files (no JetStream of its own: connected straight to the hub)');
  const files = new Set<FileKV>();
  return {
    kv: (plugin) => {
      const f = new FileKV(dir, plugin);
      files.add(f);
      return f;
    },
    close: async () => {
      await Promise.all([...files].map((f) => f.close()));
    },
  };
}

/** The edge's KV: one per plugin (and for the edge's own `_config` and `_system`), closed with the node. */
export interface EdgeKv {
  kv: (plugin: string) => KVService;
  /** Refuses writes from now on; resolves once every write begun is done (nothing touches the state dir after). */
  close(): Promise<void>;
}
