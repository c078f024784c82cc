// Out-of-process plugin overhead: events/s delivered to one subscription of a plugin in process vs the same
// plugin class in its own process (over gRPC), and the round trip of one kv.get from inside the plugin.
//   node --import tsx bench/remote-plugin.ts [--count N] [--repeats R]
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startControlPlane } from '@hubspoke/control-plane';
import { Direction } from '@hubspoke/sdk';
import { startNatsServer } from '../test/helpers/index.js';
import { CounterPlugin } from './remote/counter-plugin.js';

const { values } = parseArgs({
  options: { count: { type: 'string', default: '20000' }, repeats: { type: 'string', default: '3' } },
});
const count = Number(values.count);
const repeats = Number(values.repeats);
const script = fileURLToPath(new URL('./remote/counter-plugin.ts', import.meta.url));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

await using hub = await startNatsServer({ domain: 'hub' });
const rows: string[] = [];
for (const mode of ['in process', 'out of process'] as const) {
  const rates: number[] = [];
  const kvMs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const plugin =
      mode === 'in process'
        ? { plugin: new CounterPlugin(), config: { count } }
        : { command: [process.execPath, '--import', 'tsx', script], config: { count } };
    const cp = await startControlPlane({
      natsUrl: hub.url,
      log: { level: 'silent' },
      queueSize: 1_000_000,
      plugins: [plugin],
    });
    const done = new Promise<number>((res) => void cp.events.subscribe('load-done', () => res(performance.now())));
    const t0 = performance.now();
    for (let i = 0; i < count; i++) await cp.events.publish(`load.${i % 10}`, { i }, Direction.Local);
    rates.push(count / (((await done) - t0) / 1000));
    const kv = new Promise<number>((res) => void cp.events.subscribe('kv.done', (e) => res(e.payload as number)));
    await cp.events.publish('kv.bench', 2000, Direction.Local);
    kvMs.push(await kv);
    await cp.close();
  }
  rows.push(`| ${mode} | ${Math.round(median(rates)).toLocaleString('en')} | ${median(kvMs).toFixed(3)} |`);
}
console.log(`events: ${count} JSON events, one subscription; medians of ${repeats}\n`);
console.log('| plugin | events/s delivered | kv.get round trip (ms) |\n|---|---|---|');
console.log(rows.join('\n'));
