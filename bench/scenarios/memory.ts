// Scenario 5: memory per edge NODE in a process hosting `--edges` of them (heapUsed and RSS deltas after GC,
// divided by the count). Memory per connected edge at the control plane is the `edges` scenario.
// Twin: bare nats.js connections with the same four subscriptions an edge holds.
import type { BenchOptions } from '../lib/options.js';
import type { Row } from '../lib/result.js';
import { Worker } from '../lib/rpc.js';

interface Mem {
  heapPerNode: number;
  rssPerNode: number;
}

async function once(o: BenchOptions, kind: 'fabric' | 'bare'): Promise<Mem> {
  const w = new Worker('memory', `memory-${kind}`);
  try {
    return await w.call<Mem>('measure', { kind, url: o.url, n: o.edges });
  } finally {
    await w.close();
  }
}

export async function memory(o: BenchOptions): Promise<Row[]> {
  const [fabric, bare] = [await once(o, 'fabric'), await once(o, 'bare')];
  const kib = (b: number) => b / 1024;
  const scenario = `memory per edge node (${o.edges} in one process)`;
  return [
    {
      scenario,
      metric: 'heapUsed per node',
      unit: 'KiB',
      fabric: kib(fabric.heapPerNode),
      twins: { 'bare connection': kib(bare.heapPerNode) },
      detail: { fabric, bare },
      note: 'per edge NODE in its own process; per edge at the control plane: the edges scenario',
    },
    {
      scenario,
      metric: 'RSS per node',
      unit: 'KiB',
      fabric: kib(fabric.rssPerNode),
      twins: { 'bare connection': kib(bare.rssPerNode) },
    },
  ];
}
