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
): Promise<(plugin: string) => KVService> {
  if (mode === 'jetstream' || (mode === 'auto' && domain)) {
    const bucket = await openKvBucket(nc, 'hs-kv', domain);
    log.info({ domain: domain ?? '(default)' }, 'edge KV in the local JetStream');
    return (plugin) => new JetStreamKV(bucket, plugin);
  }
  const dir = join(stateDir, 'kv');
  log.info({ dir }, 'edge KV in local files (no JetStream of its own: connected straight to the hub)');
  return (plugin) => new FileKV(dir, plugin);
}
