// Scenario 6: durable edge payloads. The fabric has no sendToControl yet, so only the raw JetStream twin is
// measured: the faster of js.publish() with many in flight and a pipelined core publish parsing PubAcks, then a
// durable pull consume() with an ack per message. One worker process, file storage.
import type { BenchOptions } from '../lib/options.js';
import type { Row } from '../lib/result.js';
import { Worker } from '../lib/rpc.js';
import { median } from '../lib/util.js';

export async function jetstreamTwin(o: BenchOptions): Promise<Row[]> {
  const w = new Worker('jetstream', 'jetstream');
  const count = o.quick ? 5000 : Math.max(1000, Math.round(o.count / 5));
  const repeats = o.quick ? 1 : o.repeats;
  const window = 1000;
  const js: number[] = [];
  const pipe: number[] = [];
  const cons: number[] = [];
  try {
    await w.call('setup', { url: o.url });
    await w.call('publishPipelined', { count: 1000, size: o.size, window });
    for (let i = 0; i < repeats; i++) {
      await w.call('purge');
      js.push((await w.call<{ rate: number }>('publishJs', { count, size: o.size, window })).rate);
      await w.call('purge');
      pipe.push((await w.call<{ rate: number }>('publishPipelined', { count, size: o.size, window })).rate);
      cons.push((await w.call<{ rate: number }>('consume', { count })).rate);
    }
  } finally {
    await w.close();
  }
  const scenario = 'durable edge payloads';
  const nb = 'n/a (not built yet)';
  const [mj, mp] = [median(js), median(pipe)];
  return [
    {
      scenario, metric: `publish with PubAck (${count} msgs)`, unit: 'msg/s', fabric: nb,
      twins: { [mp >= mj ? 'pipelined (best)' : 'js.publish (best)']: Math.max(mj, mp), [mp >= mj ? 'js.publish' : 'pipelined']: Math.min(mj, mp) },
      detail: { count, window, jsPublish: js, pipelined: pipe },
      note: `${window} in flight; the fabric column waits for sendToControl`,
    },
    { scenario, metric: 'durable pull consume() + ack', unit: 'msg/s', fabric: nb, twins: { 'raw consume': median(cons) }, detail: { consume: cons } },
  ];
}
