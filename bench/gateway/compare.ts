// Quick A/B of gateway variants under the same load, for development: `node --import tsx bench/gateway/compare.ts
// [modes…]` (default: twin none). Prints req/s and p50 per round, interleaved. Not part of `npm run bench`.
import { startNatsServer } from '../../test/helpers/index.js';
import { Worker } from '../lib/rpc.js';
import { median } from '../lib/util.js';
import { BENCH_KEY } from '../roles/gw-control.js';
import { latency, throughput, type Target } from './load.js';

import { profile } from '../lib/rpc.js';
if (process.env['GW_PROF']) profile.dir = process.env['GW_PROF'];
const modes = process.argv.slice(2).length ? process.argv.slice(2) : ['twin', 'none'];
await using nats = await startNatsServer({ jetstream: true });
const upstream = new Worker('gw-upstream');
const control = new Worker('gw-control');
const workers: Worker[] = [];
try {
  const { url } = await upstream.call<{ url: string }>('start');
  await control.call('start', { natsUrl: nats.url, upstream: url });
  const headers = { authorization: `Bearer ${BENCH_KEY}`, 'content-type': 'application/json' };
  const targets: Record<string, Target> = {};
  for (const mode of modes) {
    if (mode === 'direct') {
      targets[mode] = { address: url.replace('http://', ''), path: '/json', headers };
      continue;
    }
    const w = new Worker('gw-proxy', mode);
    workers.push(w);
    const { address } = await w.call<{ address: string }>('start', {
      mode,
      upstream: url,
      natsUrl: nats.url,
      edgeId: `cmp-${mode}`,
    });
    targets[mode] = { address, path: '/llm/json', headers };
  }
  const rps: Record<string, number[]> = {};
  const p50: Record<string, number[]> = {};
  for (const m of modes) await throughput(targets[m]!, 16, 500);
  for (let r = 0; r < 5; r++) {
    for (const m of modes) {
      (rps[m] ??= []).push(await throughput(targets[m]!, 16, 1500));
      (p50[m] ??= []).push((await latency(targets[m]!, 300)).p50);
    }
  }
  for (const m of modes)
    console.log(
      `${m.padEnd(8)} req/s ${median(rps[m]!).toFixed(0).padStart(6)} [${rps[m]!.map((x) => x.toFixed(0)).join(' ')}]  p50 ${median(p50[m]!).toFixed(3)} ms`,
    );
} finally {
  for (const w of workers) await w.call('stop').catch(() => undefined);
  await control.call('stop').catch(() => undefined);
  for (const w of [...workers, upstream, control]) await w.close();
}
