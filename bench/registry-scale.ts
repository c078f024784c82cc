// 200 simulated edges (edge nodes in one child process, heartbeatMs 1000) register with a control plane in this
// process: the time until all are online in the registry, the control plane's heap per edge, and the time from a
// config put (global, then one namespace's) until every edge that should see it has acknowledged its revision.
// Run: npx tsc -b && node --expose-gc --import tsx bench/registry-scale.ts [edges]
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode, type EdgeNode } from '@hubspoke/edge-node';
import { startNatsServerProcess } from '@hubspoke/runtime';

const N = Number(process.argv[2] ?? 200);
const HB = 1000;

async function child(url: string, dir: string): Promise<void> {
  const edges: EdgeNode[] = [];
  process.stdout.write(`start ${Date.now()}\n`);
  for (let i = 0; i < N; i += 20) {
    const batch = Array.from({ length: Math.min(20, N - i) }, (_, j) =>
      startEdgeNode({
        natsUrl: url,
        edgeId: `sim-${i + j}`,
        namespace: (i + j) % 2 ? 'eu' : 'us',
        heartbeatMs: HB,
        log: { level: 'silent' },
        stateDir: join(dir, `sim-${i + j}`),
      }),
    );
    edges.push(...(await Promise.all(batch)));
  }
  process.stdout.write(`started ${Date.now()}\n`);
  await new Promise((r) => process.stdin.once('data', r));
  await Promise.all(edges.map((e) => e.close()));
  process.exit(0);
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
async function heap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
  }
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  if (process.argv[3] === '--child') return child(process.argv[4] as string, process.argv[5] as string);
  const dir = await mkdtemp(join(tmpdir(), 'hubspoke-scale-'));
  const store = join(dir, 'js');
  const hub = await startNatsServerProcess({
    dir,
    name: 'hub',
    ports: 1,
    config: ([port]) =>
      `listen: 127.0.0.1:${port}\nmax_connections: 1000\njetstream { store_dir: "${store}", domain: hub }\n`,
  });
  const url = `nats://127.0.0.1:${hub.ports[0]}`;
  const cp = await startControlPlane({ natsUrl: url, log: { level: 'silent' } });
  await new Promise((r) => setTimeout(r, 500));
  const before = await heap();
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), String(N), '--child', url, dir],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  while (!/start (\d+)/.test(out)) await new Promise((r) => setTimeout(r, 10));
  const t0 = Number(/start (\d+)/.exec(out)?.[1]);
  let online = 0;
  while (online < N) {
    online = (await cp.edges.list()).filter((e) => e.state === 'online').length;
    if (online < N) await new Promise((r) => setTimeout(r, 20));
  }
  const allOnline = Date.now() - t0;
  while (!/started (\d+)/.test(out)) await new Promise((r) => setTimeout(r, 10));
  const startedIn = Number(/started (\d+)/.exec(out)?.[1]) - t0;
  await new Promise((r) => setTimeout(r, 5 * HB));
  const after = await heap();
  const states = cp.edges.countByState();
  /** Puts a config object; resolves to the ms from the put until every edge that should see it acknowledged it. */
  const putAndWait = async (key: string, ns?: string): Promise<number> => {
    const t = Date.now();
    const rev = await cp.config.put(key, { at: t }, ns === undefined ? {} : { namespace: ns });
    for (;;) {
      const list = (await cp.edges.list()).filter((e) => ns === undefined || e.namespace === ns);
      if (list.length > 0 && list.every((e) => e.appliedRevision >= rev)) return Date.now() - t;
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const globalAckMs = await putAndWait('bench.global');
  const rg = (await cp.edges.list())[0]?.appliedRevision ?? 0;
  const nsAckMs = await putAndWait('bench.eu', 'eu');
  const usUntouched = (await cp.edges.list())
    .filter((e) => e.namespace === 'us')
    .every((e) => e.appliedRevision === rg);
  console.log(
    JSON.stringify({
      edges: N,
      heartbeatMs: HB,
      edgesStartedMs: startedIn,
      allOnlineMs: allOnline,
      states,
      heartbeats: cp.edges.counters.heartbeats,
      rejected: cp.edges.counters.rejected,
      writeErrors: cp.edges.counters.writeErrors,
      heapBeforeMiB: +(before / 1048576).toFixed(1),
      heapAfterMiB: +(after / 1048576).toFixed(1),
      heapPerEdgeKiB: +((after - before) / N / 1024).toFixed(2),
      configGlobalAllAckedMs: globalAckMs,
      configNamespaceAllAckedMs: nsAckMs,
      usEdgesUntouchedByEuChange: usUntouched,
    }),
  );
  proc.stdin.write('stop\n');
  await new Promise((r) => proc.once('exit', r));
  await cp.close();
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
}

await main();
