import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startCluster, waitFor, type NatsServer } from '../helpers/index.js';

/** Every stream and bucket a control plane keeps (the schedule bucket only when a plugin has schedules). */
export const STATE = [
  'HS_PAYLOADS',
  'HS_DOWN',
  'HS_DLQ',
  'KV_hs-dispatch',
  'KV_hs-config',
  'KV_hs-edges',
  'KV_hs-kv',
  'KV_hs-schedule',
] as const;

/** A 3-node hub as in docs/cluster.md: JetStream domain `hub`, a leafnode port on every node. */
export interface HubCluster extends AsyncDisposable {
  nodes: NatsServer[];
  /** Every node's client URL. */
  urls: string[];
  /** Every node's leafnode URL. */
  leafUrls: string[];
  /** A connection of the test's own, for JetStream API calls (reconnects to any node). */
  nc: NatsConnection;
  jsm: JetStreamManager;
  /** The node leading a stream now. */
  leaderOf(stream: string): Promise<NatsServer>;
  /** Waits until every stream in `streams` has a leader and every replica is current. */
  settled(streams: readonly string[], timeoutMs?: number): Promise<void>;
}

export async function startHubCluster(): Promise<HubCluster> {
  const nodes = await startCluster(3, { domain: 'hub', leafListen: true });
  const urls = nodes.map((n) => n.url);
  let nc: NatsConnection | undefined;
  try {
    nc = await connect({ servers: urls, reconnectTimeWait: 200, maxReconnectAttempts: -1 });
  } catch (err) {
    await nodes[Symbol.asyncDispose]();
    throw err;
  }
  const jsm = await jetstreamManager(nc, { timeout: 3000 });
  const leaderOf = async (stream: string): Promise<NatsServer> => {
    const info = await jsm.streams.info(stream);
    const node = nodes.find((n) => n.name === info.cluster?.leader);
    if (!node) throw new Error(`${stream} has no leader (${JSON.stringify(info.cluster)})`);
    return node;
  };
  return {
    nodes,
    urls,
    leafUrls: nodes.map((n) => n.leafUrl as string),
    nc,
    jsm,
    leaderOf,
    async settled(streams, timeoutMs = 30_000) {
      await waitFor(
        async () => {
          for (const s of streams) {
            const info = await jsm.streams.info(s).catch(() => undefined);
            const c = info?.cluster;
            if (!c?.leader || (c.replicas ?? []).some((r) => !r.current || r.offline)) return false;
          }
          return true;
        },
        { timeoutMs, intervalMs: 200, message: `streams ${streams.join(', ')} settled with every replica current` },
      );
    },
    async [Symbol.asyncDispose]() {
      await nc?.close();
      await nodes[Symbol.asyncDispose]();
    },
  };
}
