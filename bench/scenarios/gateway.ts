// Scenario: the edge gateway, in one run. The same load through: the upstream directly; a bare undici proxy
// written by hand (the twin); hubspoke's gateway with no plugins; with six hooks in process; with the same six
// hooks in one out-of-process plugin; SSE with and without an onBeforeWrite hook; and the telemetry path.
// Upstream, proxy under test and control plane each run in a worker process; the load comes from this one.
import type { BenchOptions } from '../lib/options.js';
import type { Row } from '../lib/result.js';
import { Worker } from '../lib/rpc.js';
import { median } from '../lib/util.js';
import { latency, sseTime, throughput, type Target } from '../gateway/load.js';
import { BENCH_KEY } from '../roles/gw-control.js';

const MODES = ['direct', 'twin', 'none', 'none-local', 'six', 'oop'] as const;
type Mode = (typeof MODES)[number];

export async function gateway(o: BenchOptions): Promise<Row[]> {
  const ms = o.quick ? 1500 : 4000;
  const conns = 16;
  const latN = o.quick ? 500 : 2000;
  const upstream = new Worker('gw-upstream', 'gw-upstream');
  const control = new Worker('gw-control', 'gw-control');
  const started: Worker[] = [];
  try {
    const { url } = await upstream.call<{ url: string }>('start');
    await control.call('start', { natsUrl: o.url, upstream: url });
    const auth = { authorization: `Bearer ${BENCH_KEY}`, 'content-type': 'application/json' };
    const targets = {} as Record<Mode, Target>;
    const proxies = {} as Record<string, Worker>;
    const addresses: Record<string, string> = {};
    targets.direct = { address: url.replace('http://', ''), path: '/json', headers: auth };
    for (const mode of ['twin', 'none', 'none-local', 'six', 'oop', 'sse-hook']) {
      const w = new Worker('gw-proxy', `gw-proxy-${mode}`);
      started.push(w);
      proxies[mode] = w;
      const { address } = await w.call<{ address: string }>('start', {
        mode,
        upstream: url,
        natsUrl: o.url,
        edgeId: `gw-bench-${mode}`,
      });
      addresses[mode] = address;
      if (mode !== 'sse-hook') targets[mode as Mode] = { address, path: '/llm/json', headers: auth };
    }
    const empty = (): Record<Mode, number[]> =>
      Object.fromEntries(MODES.map((m) => [m, [] as number[]])) as unknown as Record<Mode, number[]>;
    const rps = empty();
    const p50 = empty();
    const p99 = empty();
    for (const m of MODES) await throughput(targets[m], conns, 500); // warm up JIT, pools, connections
    for (let r = 0; r < o.repeats; r++) {
      // Interleaved, so that a neighbour's load on this shared machine hits every variant alike.
      for (const m of MODES) {
        rps[m].push(await throughput(targets[m], conns, ms));
        const l = await latency(targets[m], latN);
        p50[m].push(l.p50);
        p99[m].push(l.p99);
      }
    }
    const med = (x: Record<Mode, number[]>) =>
      Object.fromEntries(MODES.map((m) => [m, median(x[m])])) as Record<Mode, number>;
    const R = med(rps);
    const P = med(p50);
    const P99 = med(p99);
    // SSE: one response of N events, through the gateway without a hook and with one onBeforeWrite.
    const events = o.quick ? 2000 : 5000;
    const sseRounds = o.quick ? 10 : 30;
    const sseNone = { address: targets.none.address, path: `/llm/sse?n=${events}`, headers: auth };
    const sseHook = { ...sseNone, address: addresses['sse-hook'] as string };
    await sseTime(sseNone, 3);
    await sseTime(sseHook, 3);
    const sseA: number[] = [];
    const sseB: number[] = [];
    for (let r = 0; r < o.repeats; r++) {
      sseA.push(median(await sseTime(sseNone, sseRounds)));
      sseB.push(median(await sseTime(sseHook, sseRounds)));
    }
    const perEventUs = ((median(sseB) - median(sseA)) / events) * 1000;
    const hookEvents = (await proxies['sse-hook']!.call<{ writeEvents: number }>('stats')).writeEvents;
    // Telemetry: records through the edge's emit path to the payload channel, then to the control plane's collector.
    const tcount = o.quick ? 20_000 : 50_000;
    const before = (await control.call<{ got: number }>('count')).got;
    const t0 = performance.now();
    const tel = await proxies['none']!.call<{ sentPerS: number; dropped: number }>('telemetry', { count: tcount });
    let got = 0;
    while (performance.now() - t0 < 120_000) {
      got = (await control.call<{ got: number }>('count')).got - before;
      if (got >= tcount) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const centralPerS = got / ((performance.now() - t0) / 1000);
    const stats = await proxies['none']!.call<Record<string, number>>('stats');
    const added = P.none - P.direct;
    const oopPerPhase = (P.oop - P.none) / 4;
    return [
      {
        scenario: 'gateway, no plugins',
        metric: `req/s (${conns} conns, small JSON)`,
        unit: 'req/s',
        fabric: R.none,
        twins: { direct: R.direct, 'undici twin': R.twin },
        ratios: { 'undici twin': R.none / R.twin, direct: R.none / R.direct },
        targets: [{ name: '>= 90% of twin', pass: R.none >= 0.9 * R.twin }],
        detail: { rps },
      },
      {
        scenario: 'gateway, no plugins, records kept at the edge',
        metric: 'req/s (telemetry.toControl false)',
        unit: 'req/s',
        fabric: R['none-local'],
        twins: { 'undici twin': R.twin },
        ratios: { 'undici twin': R['none-local'] / R.twin },
        targets: [{ name: '>= 90% of twin', pass: R['none-local'] >= 0.9 * R.twin }],
        note: 'the same gateway without sending records to the control plane: the difference is what the telemetry path (a JetStream write per batch at the hub, the control plane consuming it) costs on a machine where all of them share two cores',
      },
      {
        scenario: 'gateway, no plugins',
        metric: 'latency p50, one at a time',
        unit: 'ms',
        fabric: P.none,
        twins: { direct: P.direct, 'undici twin': P.twin },
        targets: [{ name: `<= 0.25 ms added over direct (${added.toFixed(3)})`, pass: added <= 0.25 }],
        detail: { p50, p99: P99 },
      },
      {
        scenario: 'gateway, six hooks in process',
        metric: 'req/s',
        unit: 'req/s',
        fabric: R.six,
        twins: { 'no plugins': R.none },
        ratios: { 'no plugins': R.six / R.none },
        targets: [{ name: '<= 10% throughput cost', pass: R.six >= 0.9 * R.none }],
        detail: { p50six: P.six },
      },
      {
        scenario: 'gateway, six hooks out of process',
        metric: 'added p50 per on-path phase',
        unit: 'ms',
        fabric: oopPerPhase,
        twins: { 'p50 no plugins': P.none, 'p50 out of process': P.oop },
        targets: [{ name: '<= 0.2 ms per phase', pass: oopPerPhase <= 0.2 }],
        detail: { rpsOop: R.oop },
        note: 'four phases sit on the response path (preAuth, postAuth, onBeforeWriteHeaders, onBeforeWrite); onStreamComplete and the collector run after it',
      },
      {
        scenario: 'gateway, SSE',
        metric: 'onBeforeWrite cost per event',
        unit: 'µs',
        fabric: perEventUs,
        twins: { 'ms per response, no hook': median(sseA), 'ms per response, hook': median(sseB) },
        targets: [{ name: '<= 5 µs per event', pass: perEventUs <= 5 }],
        detail: { events, hookEvents, sseA, sseB },
      },
      {
        scenario: 'gateway, telemetry',
        metric: 'records/s per edge to the payload channel',
        unit: 'rec/s',
        fabric: tel.sentPerS,
        twins: { 'at the control plane collector': centralPerS },
        targets: [{ name: '>= 10k records/s', pass: tel.sentPerS >= 10_000 }],
        detail: { count: tcount, got, dropped: tel.dropped, stats },
      },
    ];
  } finally {
    for (const w of started) await w.call('stop').catch(() => undefined);
    await control.call('stop').catch(() => undefined);
    for (const w of [...started, upstream, control]) await w.close();
  }
}
