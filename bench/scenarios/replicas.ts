// Scenario: control-plane replicas. An edge through its own leaf sends durable payloads (1,000 in flight) to one
// control plane, then, on a fresh hub, to two: the figure is payloads handled per second by all replicas together
// from the first send to the last handled, and the ratio of two to one (target ≥ 90%: a second replica must not
// slow dispatch down). Then, still with two, payloads paced at 1,000/s while the replica dispatching them is
// SIGKILLed: the takeover time is from the kill to the first payload handled by the other (target < 5 s).
import type { BenchOptions } from '../lib/options.js';
import type { Row } from '../lib/result.js';
import { Worker } from '../lib/rpc.js';
import { median, now, type TallyResult } from '../lib/util.js';
import { startNatsServer } from '../../test/helpers/index.js';

const WINDOW = 1000;

async function withSite<T>(replicas: number, fn: (controls: Worker[], edge: Worker) => Promise<T>): Promise<T> {
  await using hub = await startNatsServer({ domain: 'hub', leafListen: true });
  const controls = Array.from(
    { length: replicas },
    (_, i) => new Worker('durable', `replicas-${replicas}-control-${i}`),
  );
  const edge = new Worker('durable', `replicas-${replicas}-edge`);
  try {
    for (const c of controls) await c.call('setup', { kind: 'control', url: hub.url });
    await edge.call('setup', { kind: 'edge-leaf', url: hub.url, hubLeafUrl: hub.leafUrl });
    return await fn(controls, edge);
  } finally {
    await Promise.all([edge.close(), ...controls.map((c) => c.close())]);
  }
}

/** Payloads handled per second by all the replicas together. */
async function throughput(controls: Worker[], edge: Worker, count: number, size: number): Promise<number> {
  for (const c of controls) await c.call('arm', { count });
  const sent = edge.call<{ t0: number }>('send', { count, size, window: WINDOW });
  // A replica that owns no edge gets nothing: its wait ends after the idle time, the owner's when all arrived.
  const got = Promise.all(controls.map((c) => c.call<TallyResult>('wait', { idleMs: 3000 })));
  const [s, rs] = await Promise.all([sent, got]);
  const received = rs.reduce((n, r) => n + r.received, 0);
  const last = Math.max(...rs.filter((r) => r.received > 0).map((r) => r.last));
  return received < count ? NaN : received / ((last - s.t0) / 1000);
}

export async function replicas(o: BenchOptions): Promise<Row[]> {
  const count = o.quick ? 5000 : Math.max(1000, Math.round(o.count / 5));
  const repeats = o.quick ? 1 : o.repeats;
  const rates: Record<1 | 2, number[]> = { 1: [], 2: [] };
  // Both sites side by side, their rounds alternating (the other site idle meanwhile), so a machine whose speed
  // drifts during the run weighs on both: measured one after the other, the ratio swung 81–107%.
  await withSite(1, (c1, e1) =>
    withSite(2, async (c2, e2) => {
      await throughput(c1, e1, Math.min(count, 5000), o.size); // warm-up
      await throughput(c2, e2, Math.min(count, 5000), o.size);
      for (let i = 0; i < repeats; i++) {
        rates[1].push(await throughput(c1, e1, count, o.size));
        rates[2].push(await throughput(c2, e2, count, o.size));
      }
    }),
  );
  const takeover = await withSite(2, async (controls, edge) => {
    const total = 6000;
    for (const c of controls) await c.call('arm', { count: total });
    const sending = edge.call('send', { count: total, size: o.size, window: WINDOW, rate: 1000 });
    await new Promise((r) => setTimeout(r, 2000));
    const counts = await Promise.all(controls.map((c) => c.call<{ total: number }>('hitsAfter', { t: 0 })));
    const owner = counts[0]!.total >= counts[1]!.total ? 0 : 1;
    const killedAt = now();
    await controls[owner]!.kill();
    await sending;
    const survivor = controls[1 - owner] as Worker;
    await survivor.call('wait', { idleMs: 3000 });
    const after = await survivor.call<{ first?: number; count: number }>('hitsAfter', { t: killedAt });
    return after.first === undefined ? NaN : after.first - killedAt;
  });
  const one = median(rates[1]);
  const two = median(rates[2]);
  return [
    {
      scenario: 'control-plane replicas',
      metric: `throughput, one edge through a leaf, 1 vs 2 replicas (${count} msgs, ${WINDOW} in flight)`,
      unit: 'msg/s',
      fabric: two,
      twins: { '1 replica': one },
      ratios: { '2 replicas / 1': two / one },
      targets: [{ name: '2 replicas ≥ 90% of 1', pass: two >= 0.9 * one }],
      detail: { rates },
      note: 'one owner per edge: with one edge, one replica dispatches and the other stands by',
    },
    {
      scenario: 'control-plane replicas',
      metric: 'takeover: the dispatching replica SIGKILLed (1,000 msg/s) → first payload handled by the other',
      unit: 'ms',
      fabric: takeover,
      twins: {},
      targets: [{ name: '< 5 s', pass: takeover < 5000 }],
      note: 'lease 3 s (payloads.leaseMs), discovery every 500 ms',
    },
  ];
}
