// Scenarios 1 and 2: DirUp, edge node(s) in one process → a control-plane handler in another process.
// Twins, in the same run: bare nats.js pub→sub (the payload is the body) and nats.js carrying a protobufjs
// Envelope encoded per message and decoded at the receiver (what a user would hand-roll instead).
import type { BenchOptions } from '../lib/options.js';
import type { Row } from '../lib/result.js';
import { med, runVariant, type RoundPlan, type RoundStats } from './rounds.js';

export async function dirUp(o: BenchOptions, edges: number): Promise<Row[]> {
  const scenario = edges === 1 ? 'DirUp, 1 edge' : `DirUp, ${edges} edges`;
  const tag = `up${edges}`;
  const base: RoundPlan = {
    count: o.count,
    size: o.size,
    repeats: o.repeats,
    warmup: Math.min(o.count, 20000),
    latency: true,
    idleMs: 3000,
  };
  const pacedSeconds = edges === 1 ? (o.quick ? 1 : 3) : undefined;
  // The fabric is paced at half its own median rate; the twins then at that same rate, so latencies compare.
  let pacedAt = 0;
  const fabric = await runVariant(
    {
      role: 'publisher',
      label: `${tag}-fabric-edges`,
      setup: { kind: 'fabric-edges', url: o.url, conns: edges, prefix: 'u' },
    },
    [{ role: 'receiver', label: `${tag}-fabric-control`, setup: { kind: 'fabric-control', url: o.url } }],
    { ...base, pacedSeconds, pacedRate: (m) => (pacedAt = m / 2) },
    (r) => `bench.r${r}`,
  );
  const twin = (kind: 'bare' | 'proto'): Promise<RoundStats> =>
    runVariant(
      { role: 'publisher', label: `${tag}-${kind}-pub`, setup: { kind, url: o.url, conns: edges } },
      [{ role: 'receiver', label: `${tag}-${kind}-sub`, setup: { kind, url: o.url, conns: 1 } }],
      { ...base, pacedSeconds, pacedRate: () => pacedAt },
      (r) => `bench.raw.r${r}`,
    );
  const bare = await twin('bare');
  const proto = await twin('proto');

  const rate = { fabric: med(fabric.rates), bare: med(bare.rates), envelope: med(proto.rates) };
  const detail = (s: RoundStats) => ({
    rates: s.rates,
    publishRates: s.publishRates,
    lost: s.lost,
    p50s: s.p50s,
    p99s: s.p99s,
    paced: s.paced,
  });
  const lossNote = (['fabric', 'bare', 'envelope'] as const)
    .map((k, i) => [k, [fabric, bare, proto][i] as RoundStats] as const)
    .filter(([, s]) => s.lost.some((l) => l > 0))
    .map(([k, s]) => `${k} lost ${s.lost.join('/')}`)
    .join('; ');
  const rows: Row[] = [
    {
      scenario,
      metric: 'throughput',
      unit: 'msg/s',
      fabric: rate.fabric,
      twins: { bare: rate.bare, envelope: rate.envelope },
      ratios: { bare: rate.fabric / rate.bare, envelope: rate.fabric / rate.envelope },
      targets: [
        { name: '≥50% bare', pass: rate.fabric >= 0.5 * rate.bare },
        { name: '≥ envelope', pass: rate.fabric >= rate.envelope },
      ],
      detail: { fabric: detail(fabric), bare: detail(bare), envelope: detail(proto), fabricCounters: fabric.counters },
      ...(lossNote ? { note: lossNote } : {}),
    },
    {
      scenario,
      metric: 'latency p50 / p99 at max rate',
      unit: 'ms',
      fabric: `${med(fabric.p50s).toFixed(1)} / ${med(fabric.p99s).toFixed(1)}`,
      twins: {
        bare: `${med(bare.p50s).toFixed(1)} / ${med(bare.p99s).toFixed(1)}`,
        envelope: `${med(proto.p50s).toFixed(1)} / ${med(proto.p99s).toFixed(1)}`,
      },
      note: 'measured in the throughput rounds: mostly queueing while the publisher floods',
    },
  ];
  if (fabric.paced && bare.paced && proto.paced) {
    const f = (p: NonNullable<RoundStats['paced']>) => `${p.p50.toFixed(2)} / ${p.p99.toFixed(2)}`;
    rows.push({
      scenario,
      metric: `latency p50 / p99 at ${Math.round(fabric.paced.rate / 1000)} k msg/s`,
      unit: 'ms',
      fabric: f(fabric.paced),
      twins: { bare: f(bare.paced), envelope: f(proto.paced) },
      note: "paced at half the fabric's median rate, all three at the same rate",
    });
  }
  return rows;
}
