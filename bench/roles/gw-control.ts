// Gateway bench (worker side): the control plane, in a process of its own so that it does not share the load
// generator's: it puts the route and the app the edges serve, and counts the ProxyLogs its collector gets.
import { createHash } from 'node:crypto';
import { startControlPlane, type ControlPlane } from '@hubspoke/control-plane';
import type { Commands } from '../worker.js';
import { Collector } from '../gateway/collector.js';

export const BENCH_KEY = 'sk-bench';

export function create(): Commands {
  let cp: ControlPlane | undefined;
  let got = 0;
  return {
    async start(a: { natsUrl: string; upstream: string }) {
      cp = await startControlPlane({
        natsUrl: a.natsUrl,
        log: { level: 'error' },
        plugins: [new Collector(() => got++)],
      });
      await cp.config.put('route.api', { path: '/llm/', upstream: a.upstream });
      await cp.config.put('app.bench', {
        name: 'bench',
        credentials: [createHash('sha256').update(BENCH_KEY).digest('hex')],
      });
      return {};
    },
    async count() {
      return { got };
    },
    async stop() {
      await cp?.close();
      return {};
    },
  };
}
