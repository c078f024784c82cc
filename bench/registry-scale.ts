// 200 simulated edges (edge nodes in one child process, heartbeatMs 1000) register with a control plane in this
// process: the time until all are online in the registry, the control plane's heap per edge, and the time from a
// config put (global, then one namespace's) until every edge that should see it has acknowledged its revision.
// Run: npx tsc -b && node --expose-gc --import tsx bench/registry-scale.ts [edges]
// Every wait has a deadline (scaled with the edge count), and a child that dies ends the run with its reason:
// it used to spin forever when an edge could not connect (the hub's max_connections was 1000, while 1,000 edges
// and the control plane need 1,001).
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
/** Generous: 1,000 edges start in about a minute on 2 busy cores. */
const DEADLINE_MS = 60_000 + N * 200;

/** Polls `check` until it is true; throws naming `what` at the deadline, or when `failed()` has a reason. */
async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  failed: () => string | undefined = () => undefined,
  everyMs = 20,
): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    if (await check()) return;
    const why = failed();
    if (why !== undefined) throw new Error(`${what}: ${why}`);
    if (Date.now() > deadline) throw new Error(`${what}: not within ${DEADLINE_MS} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function child(url: string, dir: string): Promise<void> {
  const edges: EdgeNode[] = [];
  process.stdout.write(`start ${Date.now()}\n`);
  try {
    for (let i = 0; i < N; i += 20) {
      const batch = Array.from({ length: Math.min(20, N - i) }, (_, j) =>
        startEdgeNode({
          natsUrl: url,
          edgeId: `sim-${i + j}`,
          namespace: (i + j) % 2 ? 'eu' : 'us',
          heartbeatMs: HB,
          log: { level: 'silent' },
          stateDir: join(dir, `sim-${i + j}`),
          connectTimeoutMs: 20_000,
        }),
      );
      edges.push(...(await Promise.all(batch)));
    }
  } catch (err) {
    process.stderr.write(`registry-scale child: edge ${edges.length + 1} of ${N} did not start: ${String(err)}\n`);
    process.exit(1);
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
      // N edges, the control plane, and room for this bench's own connections.
      `listen: 127.0.0.1:${port}\nmax_connections: ${N + 16}\njetstream { store_dir: "${store}", domain: hub }\n`,
  });
  const url = `nats://127.0.0.1:${hub.ports[0]}`;
  let proc: ReturnType<typeof spawn> | undefined;
  const cp = await startControlPlane({ natsUrl: url, log: { level: 'silent' } }).catch(async (err: unknown) => {
    await hub.stop();
    throw err;
  });
  try {
    await run(url, dir, cp, (p) => (proc = p));
  } finally {
    proc?.kill('SIGKILL');
    await cp.close();
    await hub.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function run(
  url: string,
  dir: string,
  cp: Awaited<ReturnType<typeof startControlPlane>>,
  started: (p: ReturnType<typeof spawn>) => void,
): Promise<void> {
  await new Promise((r) => setTimeout(r, 500));
  const before = await heap();
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), String(N), '--child', url, dir],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  started(proc);
  let out = '';
  let exited: string | undefined;
  proc.once('exit', (code, signal) => (exited = `the edges' process exited (${code ?? signal})`));
  const childDied = () => exited;
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  await until(() => /start (\d+)/.test(out), 'the edges process starts', childDied, 10);
  const t0 = Number(/start (\d+)/.exec(out)?.[1]);
  let online = 0;
  await until(
    async () => (online = (await cp.edges.list()).filter((e) => e.state === 'online').length) >= N,
    `all ${N} edges online (${online} so far)`,
    childDied,
  );
  const allOnline = Date.now() - t0;
  await until(() => /started (\d+)/.test(out), 'every edge started', childDied, 10);
  const startedIn = Number(/started (\d+)/.exec(out)?.[1]) - t0;
  await new Promise((r) => setTimeout(r, 5 * HB));
  const after = await heap();
  const states = cp.edges.countByState();
  /** Puts a config object; resolves to the ms from the put until every edge that should see it acknowledged it. */
  const putAndWait = async (key: string, ns?: string): Promise<number> => {
    const t = Date.now();
    const rev = await cp.config.put(key, { at: t }, ns === undefined ? {} : { namespace: ns });
    await until(
      async () => {
        const list = (await cp.edges.list()).filter((e) => ns === undefined || e.namespace === ns);
        return list.length > 0 && list.every((e) => e.appliedRevision >= rev);
      },
      `every edge acknowledged ${key}@${rev}`,
      childDied,
      5,
    );
    return Date.now() - t;
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
  await until(() => exited !== undefined, 'the edges process stops');
}

await main();
