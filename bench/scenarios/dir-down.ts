// Scenario 3: DirDown fan-out. A control plane publishes Down to every edge; the edges (each its own edge node
// and NATS connection) live in two receiver processes and count deliveries. Twin: bare nats.js, one publisher,
// the same number of connections subscribed to one subject, in two processes.
import type { BenchOptions } from '../lib/options.js';
import type { Row } from '../lib/result.js';
import { med, runVariant, type RoundPlan, type RoundStats, type Side } from './rounds.js';

export async function dirDown(o: BenchOptions): Promise<Row[]> {
  const edges = o.edges;
  const split = edges >= 2 ? [Math.ceil(edges / 2), Math.floor(edges / 2)] : [edges];
  // Deliveries per round = count x edges; keep a round near the DirUp round's size.
  const count = Math.max(100, Math.round(o.count / edges) * (o.quick ? 2 : 1));
  const plan: RoundPlan = {
    count,
    size: o.size,
    repeats: o.repeats,
    warmup: Math.max(50, Math.round(count / 4)),
    latency: true,
    idleMs: 3000,
  };
  const receivers = (kind: string): Side[] =>
    split.map((n, i) => ({
      role: 'receiver',
      label: `down-${kind}-sub${i}`,
      setup: { kind: kind === 'fabric' ? 'fabric-edges' : 'bare', url: o.url, conns: n, prefix: `d${i}x` },
    }));
  const fabric = await runVariant(
    { role: 'publisher', label: 'down-fabric-control', setup: { kind: 'fabric-control', url: o.url } },
    receivers('fabric'),
    plan,
    (r) => `bench.r${r}`,
  );
  const bare = await runVariant(
    { role: 'publisher', label: 'down-bare-pub', setup: { kind: 'bare', url: o.url, conns: 1 } },
    receivers('bare'),
    plan,
    (r) => `bench.raw.r${r}`,
  );
  const f = med(fabric.rates);
  const b = med(bare.rates);
  const detail = (s: RoundStats) => ({
    rates: s.rates,
    publishRates: s.publishRates,
    lost: s.lost,
    p50s: s.p50s,
    p99s: s.p99s,
  });
  const lost = [
    ['fabric', fabric],
    ['bare', bare],
  ] as const;
  const note = lost
    .filter(([, s]) => s.lost.some((l) => l > 0))
    .map(([k, s]) => `${k} lost ${s.lost.join('/')} deliveries`)
    .join('; ');
  const scenario = `DirDown, fan-out to ${edges} edges`;
  return [
    {
      scenario,
      metric: `deliveries/s (${count} msgs x ${edges})`,
      unit: 'msg/s',
      fabric: f,
      twins: { bare: b },
      ratios: { bare: f / b },
      targets: [{ name: '≥50% bare', pass: f >= 0.5 * b }],
      detail: { count, edges, split, fabric: detail(fabric), bare: detail(bare), fabricCounters: fabric.counters },
      ...(note ? { note } : {}),
    },
    {
      scenario,
      metric: 'latency p50 / p99 at max rate',
      unit: 'ms',
      fabric: `${med(fabric.p50s).toFixed(1)} / ${med(fabric.p99s).toFixed(1)}`,
      twins: { bare: `${med(bare.p50s).toFixed(1)} / ${med(bare.p99s).toFixed(1)}` },
      note: 'worst receiver process; measured while flooding, mostly queueing',
    },
  ];
}
