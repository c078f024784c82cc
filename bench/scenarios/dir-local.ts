// Scenario 4: DirLocal, in-process dispatch on one node (a publisher and a subscriber on the same control
// plane; nothing crosses NATS). Compared with node:events EventEmitter doing the same loop.
import type { BenchOptions } from '../lib/options.js';
import type { Row } from '../lib/result.js';
import { Worker } from '../lib/rpc.js';
import { median } from '../lib/util.js';

export async function dirLocal(o: BenchOptions): Promise<Row[]> {
  const w = new Worker('local', 'local');
  try {
    await w.call('setup', { url: o.url });
    const count = o.count;
    const fab: number[] = [];
    const em: number[] = [];
    let dropped = 0;
    await w.call('fabric', { count: Math.min(count, 20000), size: o.size });
    await w.call('emitter', { count: Math.min(count, 20000), size: o.size });
    for (let i = 0; i < o.repeats; i++) {
      const f = await w.call<{ rate: number; dropped: number }>('fabric', { count, size: o.size });
      fab.push(f.rate);
      dropped = f.dropped;
      em.push((await w.call<{ rate: number }>('emitter', { count, size: o.size })).rate);
    }
    const f = median(fab);
    const e = median(em);
    return [
      {
        scenario: 'DirLocal, same node',
        metric: 'dispatch/s (await publishRaw each)',
        unit: 'msg/s',
        fabric: f,
        twins: { EventEmitter: e },
        ratios: { EventEmitter: f / e },
        detail: { fabric: fab, emitter: em, dropped },
        note: 'no NATS involved; EventEmitter is the floor of in-process dispatch, not a target',
      },
    ];
  } finally {
    await w.close();
  }
}
