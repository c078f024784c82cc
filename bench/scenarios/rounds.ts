// Runs publisher→receiver rounds between worker processes and reduces them to medians.
import { Worker } from '../lib/rpc.js';
import { median, type TallyResult } from '../lib/util.js';

export interface Side {
  role: 'publisher' | 'receiver';
  label: string;
  setup: Record<string, unknown>;
}

export interface RoundPlan {
  /** Messages the publisher sends per round. */
  count: number;
  size: number;
  repeats: number;
  /** Messages of the warm-up round. */
  warmup: number;
  /** Keep one-way latencies (receiver clock minus the stamp in the payload). */
  latency: boolean;
  /** A paced round after the throughput rounds, for latency: its rate (msg/s) given this variant's median rate. */
  pacedRate?: ((ownMedianRate: number) => number) | undefined;
  pacedSeconds?: number | undefined;
  idleMs: number;
}

export interface RoundStats {
  /** Per repeat: received per second, first to last received, summed over receiver processes. */
  rates: number[];
  p50s: number[];
  p99s: number[];
  lost: number[];
  publishRates: number[];
  paced?: { rate: number; p50: number; p99: number; lost: number } | undefined;
  counters?: unknown;
}

let roundSeq = 0;

/** One variant: fork its publisher and receiver processes, warm up, repeat, close. */
export async function runVariant(
  pub: Side,
  recvs: Side[],
  plan: RoundPlan,
  names: (round: number) => string,
): Promise<RoundStats> {
  const p = new Worker('publisher', pub.label);
  const rs = recvs.map((r) => new Worker('receiver', r.label));
  const all = [p, ...rs];
  try {
    await Promise.all([p.call('setup', pub.setup), ...rs.map((r, i) => r.call('setup', (recvs[i] as Side).setup))]);
    const round = async (count: number, rate?: number) => {
      const name = names(++roundSeq);
      await Promise.all(rs.map((r) => r.call('arm', { name, perConn: count, latency: plan.latency })));
      const published = p.call<{ ms: number }>('publish', { name, count, size: plan.size, rate });
      const got = rs.map((r) => r.call<TallyResult & { counters?: unknown }>('wait', { idleMs: plan.idleMs }));
      const [pr, ...res] = await Promise.all([published, ...got]);
      const received = res.reduce((s, r) => s + r.received, 0);
      const expected = res.reduce((s, r) => s + r.expected, 0);
      const first = Math.min(...res.filter((r) => r.received).map((r) => r.first));
      const last = Math.max(...res.filter((r) => r.received).map((r) => r.last));
      const withLat = res.filter((r) => r.p50 !== undefined);
      return {
        rate: received > 1 ? (received - 1) / ((last - first) / 1000) : 0,
        publishRate: count / (pr.ms / 1000),
        lost: expected - received,
        p50: withLat.length ? Math.max(...withLat.map((r) => r.p50 as number)) : NaN,
        p99: withLat.length ? Math.max(...withLat.map((r) => r.p99 as number)) : NaN,
        counters: res.map((r) => r.counters).filter(Boolean),
      };
    };
    await round(plan.warmup);
    const out: RoundStats = { rates: [], p50s: [], p99s: [], lost: [], publishRates: [] };
    for (let i = 0; i < plan.repeats; i++) {
      const r = await round(plan.count);
      out.rates.push(r.rate);
      out.p50s.push(r.p50);
      out.p99s.push(r.p99);
      out.lost.push(r.lost);
      out.publishRates.push(r.publishRate);
      out.counters = r.counters;
    }
    if (plan.pacedRate && plan.pacedSeconds) {
      const rate = Math.round(plan.pacedRate(median(out.rates)));
      const r = await round(Math.round(rate * plan.pacedSeconds), rate);
      out.paced = { rate, p50: r.p50, p99: r.p99, lost: r.lost };
    }
    return out;
  } finally {
    await Promise.all(all.map((w) => w.close()));
  }
}

export const med = (xs: number[]): number => median(xs);
