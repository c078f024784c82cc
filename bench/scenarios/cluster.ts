// Scenario `cluster`: durable edge payloads on a 3-node JetStream cluster with every stream and bucket R3
// (`jetstream.replicas: 3`), against its raw twin in the same run: JetStream publish with PubAck (the faster of
// js.publish() and a pipelined core publish parsing PubAcks, 1,000 in flight) into an R3 file stream, consumed at
// the same time by a durable pull consume() with an ack() per message, in another process. The edge connects
// straight to the cluster (every node's URL), the control plane too; the figure is payloads handled per second
// from the first send to the last handled. Each variant has its own cluster; their rounds alternate.
import type { BenchOptions } from '../lib/options.js';
import type { Row } from '../lib/result.js';
import { Worker } from '../lib/rpc.js';
import { median, type TallyResult } from '../lib/util.js';
import { startCluster } from '../../test/helpers/index.js';

type Mode = 'js' | 'pipelined';
interface Round {
  rate: number;
  lost: number;
  failed: number;
  p50: number;
  p99: number;
}

const WINDOW = 1000;

interface Setup extends AsyncDisposable {
  round(n: number, mode: Mode | undefined): Promise<Round>;
}

async function setup(fabric: boolean, size: number): Promise<Setup> {
  const nodes = await startCluster(3, { domain: 'hub', leafListen: true });
  const urls = nodes.map((n) => n.url);
  const label = fabric ? 'cluster-fabric' : 'cluster-raw';
  const recv = new Worker('durable', `${label}-${fabric ? 'control' : 'consume'}`);
  const snd = new Worker('durable', `${label}-${fabric ? 'edge' : 'pub'}`);
  const dispose = async () => {
    await Promise.all([snd.close(), recv.close()]);
    await nodes[Symbol.asyncDispose]();
  };
  try {
    await recv.call('setup', { kind: fabric ? 'control' : 'raw-consume', url: urls, replicas: 3 });
    await snd.call('setup', { kind: fabric ? 'edge-direct' : 'raw-pub', url: urls });
  } catch (err) {
    await dispose();
    throw err;
  }
  return {
    async round(n, mode) {
      await recv.call('arm', { count: n });
      const sent = snd.call<{ t0: number; failed: number }>('send', { count: n, size, window: WINDOW, mode });
      const got = recv.call<TallyResult>('wait', { idleMs: 10_000 });
      const [s, r] = await Promise.all([sent, got]);
      const wall = (r.last - s.t0) / 1000;
      return {
        rate: r.received / wall,
        lost: r.expected - r.received,
        failed: s.failed,
        p50: r.p50 ?? NaN,
        p99: r.p99 ?? NaN,
      };
    },
    [Symbol.asyncDispose]: dispose,
  };
}

export async function cluster(o: BenchOptions): Promise<Row[]> {
  const count = o.quick ? 3000 : Math.max(1000, Math.round(o.count / 10));
  const repeats = o.quick ? 1 : o.repeats;
  // Both set up first, rounds interleaved: load from elsewhere on the machine falls on both alike.
  await using f = await setup(true, o.size);
  await using r = await setup(false, o.size);
  const fabric: Record<string, Round[]> = { fabric: [] };
  const raw: Record<string, Round[]> = { pipelined: [], js: [] };
  await f.round(Math.min(count, 2000), undefined);
  await r.round(Math.min(count, 2000), 'pipelined');
  await r.round(Math.min(count, 2000), 'js');
  for (let i = 0; i < repeats; i++) {
    fabric['fabric']?.push(await f.round(count, undefined));
    raw['pipelined']?.push(await r.round(count, 'pipelined'));
    raw['js']?.push(await r.round(count, 'js'));
  }
  const med = (rs: Round[] | undefined) => median((rs ?? []).map((r) => r.rate));
  const best = med(raw['pipelined']) >= med(raw['js']) ? 'pipelined' : 'js';
  const twin = med(raw[best]);
  const rate = med(fabric['fabric']);
  const lost = (fabric['fabric'] ?? []).filter((r) => r.lost > 0 || r.failed > 0);
  return [
    {
      scenario: 'durable payloads, 3-node cluster, R3',
      metric: `throughput, send → handled (${count} msgs, ${WINDOW} in flight)`,
      unit: 'msg/s',
      fabric: rate,
      twins: { [`raw R3 ${best === 'js' ? 'js.publish' : 'pipelined'} (best)`]: twin },
      ratios: { 'raw best': rate / twin },
      targets: [{ name: '≥50% raw', pass: rate >= 0.5 * twin }],
      detail: { fabric, raw },
      note:
        `edge straight to the cluster, control plane and edge given every node's URL; raw twin: ` +
        `pipelined ${med(raw['pipelined']).toFixed(0)}/s, js.publish ${med(raw['js']).toFixed(0)}/s` +
        (lost.length
          ? `; rounds with losses: ${lost.map((r) => `lost ${r.lost}, failed ${r.failed}`).join('; ')}`
          : ''),
    },
  ];
}
