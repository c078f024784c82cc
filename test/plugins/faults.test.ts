import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { credentials, makeClientConstructor, status, type ServiceError } from '@grpc/grpc-js';
import { startControlPlane, type ControlPlane } from '@hubspoke/control-plane';
import { remotePluginStatus, type CommandPluginSpec, type RemotePluginStatus } from '@hubspoke/runtime';
import { Direction, type Event } from '@hubspoke/sdk';
import { HOST_SERVICE, PLUGIN_SERVICE, callUnary, serviceDefinition } from '@hubspoke/sdk/internal';
import { Recorder } from '../fixtures/recorder.js';
import { serveProbe } from '../fixtures/remote/probe.js';
import { startNatsServer, waitFor, type NatsServer } from '../helpers/index.js';

const echo = fileURLToPath(new URL('../fixtures/remote/echo-plugin.ts', import.meta.url));
const echoCommand = [process.execPath, '--import', 'tsx', echo];
const code = (c: string, re?: RegExp) => (e: { code?: string; message?: string }) =>
  e.code === c && (re === undefined || re.test(e.message ?? ''));

interface Node {
  cp: ControlPlane;
  rec: Recorder;
  logs: Record<string, unknown>[];
  pongs: Event[];
  status(): RemotePluginStatus;
}

async function startNode(hub: NatsServer, spec: Partial<CommandPluginSpec> = {}): Promise<Node> {
  const logs: Record<string, unknown>[] = [];
  const destination = { write: (s: string) => void logs.push(JSON.parse(s) as Record<string, unknown>) };
  const rec = new Recorder('rec', 'mark.>');
  const cp = await startControlPlane({
    natsUrl: hub.url,
    log: { level: 'info', destination },
    plugins: [{ command: echoCommand, ...spec }, rec],
  });
  const pongs: Event[] = [];
  await cp.events.subscribe('pong.>', (ev) => void pongs.push(ev));
  const plugin = cp.node.host.list().find((h) => h.name === 'echo')?.plugin;
  return { cp, rec, logs, pongs, status: () => remotePluginStatus(plugin) as RemotePluginStatus };
}

const pong = (n: Node, x: string) => n.pongs.find((e) => e.topic === `pong.${x}`);
const pidOf = (ev: Event | undefined) => (ev?.payload as { pid: number } | undefined)?.pid;

describe('out-of-process plugins: faults', () => {
  let hub: NatsServer;
  let n: Node;
  before(async () => {
    hub = await startNatsServer({ domain: 'hub' });
    // Long enough for a restart under load (a plugin process start took 2.4 s with the load average at 13):
    // events published while the plugin is down wait this long for the next process.
    n = await startNode(hub, { handlerTimeoutMs: 5000 });
  });
  after(async () => {
    await n?.cp.close();
    await hub?.[Symbol.asyncDispose]();
  });

  test('the plugin process output reaches the node log, bound to the plugin', async () => {
    await waitFor(() =>
      n.logs.some((l) => l['plugin'] === 'echo' && l['stream'] === 'stdout' && /serving in/.test(String(l['msg']))),
    );
    await waitFor(() =>
      n.logs.some((l) => l['plugin'] === 'echo' && l['stream'] === 'stderr' && /hello/.test(String(l['msg']))),
    );
  });

  test('a plugin SIGKILLed mid-stream is restarted and receives the next events, its subscriptions kept by the host', async () => {
    const before = n.status();
    assert.equal(before.state, 'up');
    for (let i = 0; i < 5; i++) await n.cp.events.publish(`ping.a${i}`, i, Direction.Local);
    await waitFor(() => pong(n, 'a4'), { message: 'pongs before the kill' });
    for (let i = 5; i < 10; i++) await n.cp.events.publish(`ping.a${i}`, i, Direction.Local);
    process.kill(before.pid as number, 'SIGKILL');
    await waitFor(() => n.status().state !== 'up', { message: 'the host notices the crash' });
    // Published while the plugin is down: held by the host's subscription, delivered to the next process.
    for (let i = 10; i < 20; i++) await n.cp.events.publish(`ping.a${i}`, i, Direction.Local);
    await waitFor(() => n.status().state === 'up', { timeoutMs: 30_000, message: 'restarted' });
    for (let i = 20; i < 25; i++) await n.cp.events.publish(`ping.a${i}`, i, Direction.Local);
    await waitFor(() => Array.from({ length: 15 }, (_, k) => pong(n, `a${k + 10}`)).every(Boolean), {
      timeoutMs: 30_000,
      message: 'pongs for every ping published after the crash',
    });
    const after = n.status();
    assert.equal(after.restarts, before.restarts + 1);
    assert.equal(after.start, before.start + 1);
    assert.notEqual(after.pid, before.pid);
    for (let i = 10; i < 25; i++)
      assert.equal(pidOf(pong(n, `a${i}`)), after.pid, `ping.a${i} answered by the new process`);
    assert.equal(after.subscriptions, before.subscriptions, 'the same host-side subscriptions, none added');
    assert.ok(
      n.logs.some(
        (l) => l['plugin'] === 'echo' && /exited unexpectedly/.test(String(l['msg'])) && l['signal'] === 'SIGKILL',
      ),
    );
  });

  test('a handler that hangs is timed out and reported; its plugin and other plugins go on', async () => {
    const timeouts = n.status().timeouts;
    await n.cp.events.publish('hang.a', {}, Direction.Local);
    await n.cp.events.publish('ping.h1', {}, Direction.Local);
    await n.cp.events.publish('mark.h1', {}, Direction.Local);
    await waitFor(() => pong(n, 'h1'), { message: 'the same plugin answers on another subscription' });
    await waitFor(() => n.rec.topics().includes('mark.h1'), { message: 'another plugin is not held up' });
    await waitFor(() => n.status().timeouts === timeouts + 1, {
      timeoutMs: 15_000,
      message: 'the hung call times out',
    });
    assert.ok(
      n.logs.some(
        (l) => l['plugin'] === 'echo' && l['msg'] === 'plugin call timed out' && /hang\.a/.test(String(l['step'])),
      ),
    );
    await n.cp.events.publish('hang.b', {}, Direction.Local);
    await waitFor(() => n.status().timeouts === timeouts + 2, {
      timeoutMs: 15_000,
      message: 'the next event of that subscription is delivered',
    });
    assert.equal(n.status().restarts, 1, 'a hung handler is not a crash');
  });

  test('a call into the host without the process token is refused (UNAUTHENTICATED), Register included', async () => {
    const Host = makeClientConstructor(serviceDefinition(HOST_SERVICE), HOST_SERVICE);
    const c = new Host(n.status().hostAddress, credentials.createInsecure());
    try {
      for (const [m, req] of [
        ['KvGet', { key: 'k' }],
        ['Register', { address: '127.0.0.1:1', protocol: 1 }],
      ] as const) {
        await assert.rejects(
          callUnary(c, m, req, 'forged-token', 5000),
          (e: ServiceError) => e.code === status.UNAUTHENTICATED,
          m,
        );
      }
    } finally {
      c.close();
    }
  });

  test('close() ends the plugin process', async () => {
    const node = await startNode(hub);
    const pid = node.status().pid as number;
    await node.cp.close();
    await waitFor(
      () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      { message: `process ${pid} gone` },
    );
  });

  test('a plugin whose event loop is stuck fails its health checks and is restarted', async () => {
    const node = await startNode(hub, { healthIntervalMs: 200, healthTimeoutMs: 1000, healthFailures: 2 });
    try {
      const pid = node.status().pid;
      await node.cp.events.publish('block', {}, Direction.Local);
      await waitFor(() => node.status().restarts === 1 && node.status().state === 'up', { timeoutMs: 30_000 });
      await node.cp.events.publish('ping.b1', {}, Direction.Local);
      const p = await waitFor(() => pong(node, 'b1'));
      assert.notEqual(pidOf(p), pid);
      assert.ok(node.logs.some((l) => /health checks failed/.test(String(l['msg']))));
    } finally {
      await node.cp.close();
    }
  });
});

describe('out-of-process plugins: handshake and identity', () => {
  let hub: NatsServer;
  before(async () => {
    hub = await startNatsServer({ domain: 'hub' });
  });
  after(async () => {
    await hub?.[Symbol.asyncDispose]();
  });
  const start = (plugins: unknown[]) =>
    startControlPlane({ natsUrl: hub.url, log: { level: 'silent' }, plugins: plugins as never });

  test('a plugin that describes itself under another name than its spec is refused (identity mismatch)', async () => {
    await assert.rejects(
      start([{ command: echoCommand, name: 'not-echo' }]),
      code('HS_ERR_PLUGIN', /identity mismatch/),
    );
  });

  test('a process that exits before registering is reported with its exit code and stderr', async () => {
    const cmd = [process.execPath, '-e', 'console.error("no luck"); process.exit(4)'];
    await assert.rejects(
      start([{ command: cmd }]),
      code('HS_ERR_PLUGIN', /exited \(code 4\) before registering: no luck/),
    );
  });

  test('a bad spec is refused with HS_ERR_CONFIG_INVALID naming the field', async () => {
    await assert.rejects(start([{ command: [] }]), code('HS_ERR_CONFIG_INVALID', /command/));
    await assert.rejects(
      start([{ command: ['x'], handlerTimeoutMs: -1 }]),
      code('HS_ERR_CONFIG_INVALID', /handlerTimeoutMs/),
    );
  });

  test('a served plugin answers only calls with its token; attaching with another token fails', async () => {
    const token = randomBytes(24).toString('hex');
    const { served } = await serveProbe('probe', token);
    try {
      const Plugin = makeClientConstructor(serviceDefinition(PLUGIN_SERVICE), PLUGIN_SERVICE);
      const c = new Plugin(served.address, credentials.createInsecure());
      await assert.rejects(
        callUnary(c, 'Describe', {}, 'wrong', 5000),
        (e: ServiceError) => e.code === status.UNAUTHENTICATED,
      );
      assert.equal((await callUnary<{ name: string }>(c, 'Describe', {}, token, 5000)).name, 'probe');
      c.close();
      await assert.rejects(start([{ address: served.address, token: 'x'.repeat(32) }]), code('HS_ERR_PLUGIN', /token/));
      const cp = await start([{ address: served.address, token, name: 'probe' }]);
      await cp.close();
    } finally {
      await served.close();
    }
  });
});
