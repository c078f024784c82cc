// Scenario 5 (worker side): memory per edge node hosted in one process, and per bare nats.js connection.
// One node (or connection) is started first so that module loading and one-time caches are in the baseline.
import type { EdgeNode } from '@hubspoke/edge-node';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Commands } from '../worker.js';
import { benchEdges, removeState } from '../lib/nodes.js';

const gc = (globalThis as { gc?: () => void }).gc;

async function settle(): Promise<{ heapUsed: number; rss: number }> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 100));
    gc?.();
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss };
}

export function create(): Commands {
  const edges: EdgeNode[] = [];
  const ncs: NatsConnection[] = [];
  return {
    async measure(a: { kind: 'fabric' | 'bare'; url: string; n: number }) {
      if (!gc) throw new Error('run the memory worker with --expose-gc');
      const start = async (n: number, tag: string) => {
        if (a.kind === 'fabric') edges.push(...(await benchEdges(a.url, n, tag)));
        else {
          for (let i = 0; i < n; i++) {
            const nc = await connect({ servers: a.url });
            // The same four subscriptions an edge node holds.
            for (const s of ['a', 'b', 'c', 'd'])
              nc.subscribe(`hs.evt.down.${s}.${i}.>`, { callback: () => undefined });
            ncs.push(nc);
          }
        }
      };
      await start(1, 'm0x');
      const before = await settle();
      await start(a.n, 'm1x');
      const after = await settle();
      return {
        heapPerNode: (after.heapUsed - before.heapUsed) / a.n,
        rssPerNode: (after.rss - before.rss) / a.n,
        before,
        after,
      };
    },
    async close() {
      await Promise.all(edges.map((e) => e.close()));
      await Promise.all(ncs.map((nc) => nc.close()));
      removeState();
      return {};
    },
  };
}
