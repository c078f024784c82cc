// The gateway on the fabric: apps revoked centrally are refused at every edge within 2 s; AuthHandler answers
// are cached (negative ones too) until the config changes; telemetry survives a hub outage in the edge's outbox.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode } from '@hubspoke/edge-node';
import { testLog } from '../fixtures/fabric.js';
import { startNatsServer, waitFor } from '../helpers/index.js';
import { call } from './client.js';
import { Collector, KeyTable } from './plugins.js';
import { startUpstream, type Upstream } from './upstream.js';

const sha = (k: string) => createHash('sha256').update(k).digest('hex');

describe('gateway on the fabric', () => {
  let dir: string;
  let up: Upstream;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hubspoke-gwf-'));
    up = await startUpstream();
  });
  after(async () => {
    await up?.[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
  });

  test('an app revoked at the control plane is refused at every edge within 2 s; a removed one too', async () => {
    await using hub = await startNatsServer({ domain: 'hub' });
    const cp = await startControlPlane({ natsUrl: hub.url, log: testLog() });
    await cp.config.put('route.api', { path: '/api/', upstream: up.url });
    await cp.config.put('app.a', { name: 'A', credentials: [sha('key-a')] });
    await cp.config.put('app.b', { name: 'B', credentials: [sha('key-b')] });
    const edges = await Promise.all(
      ['eu', 'us'].map((ns) =>
        startEdgeNode({
          natsUrl: hub.url,
          edgeId: `rev-${ns}`,
          namespace: ns,
          log: testLog(),
          stateDir: join(dir, `rev-${ns}`),
          gateway: {},
        }),
      ),
    );
    try {
      const ok = (addr: string, key: string) =>
        call(addr, '/api/echo', { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
      for (const e of edges) {
        await waitFor(async () => (await ok(e.gateway!.address, 'key-a')) === 200);
        assert.equal(await ok(e.gateway!.address, 'key-b'), 200);
      }
      await cp.config.put('app.a', { name: 'A', credentials: [sha('key-a')], active: false });
      await cp.config.delete('app.b');
      const t0 = Date.now();
      await Promise.all(
        edges.map((e) =>
          waitFor(
            async () =>
              (await ok(e.gateway!.address, 'key-a')) === 401 && (await ok(e.gateway!.address, 'key-b')) === 401,
            { timeoutMs: 2000, intervalMs: 20, message: `${e.edgeId} still serves revoked apps` },
          ),
        ),
      );
      assert.ok(Date.now() - t0 < 2000);
    } finally {
      for (const e of edges) await e.close();
      await cp.close();
    }
  });

  test('AuthHandler plugins decide on their routes; answers, negative ones too, are cached until config changes', async () => {
    await using hub = await startNatsServer({ domain: 'hub' });
    const cp = await startControlPlane({ natsUrl: hub.url, log: testLog() });
    const keys = new KeyTable();
    keys.keys.set('plugin-key', { appId: 'p-app', userId: 'u1' });
    await cp.config.put('route.api', { path: '/api/', upstream: up.url, plugins: ['key-table'] });
    await cp.config.put('route.open', { path: '/keyed/', upstream: up.url, plugins: [] });
    await cp.config.put('app.a', { name: 'A', credentials: [sha('config-key')] });
    const edge = await startEdgeNode({
      natsUrl: hub.url,
      edgeId: 'auth-1',
      namespace: 'eu',
      log: testLog(),
      stateDir: join(dir, 'auth-1'),
      plugins: [keys],
      gateway: {},
    });
    try {
      const gw = edge.gateway!.address;
      await waitFor(() => edge.gateway!.table.routes.length === 2 && edge.gateway!.table.keys.size === 1);
      const status = async (path: string, key: string) =>
        (await call(gw, path, { headers: { authorization: `Bearer ${key}` } })).status;
      for (let i = 0; i < 3; i++) assert.equal(await status('/api/echo', 'plugin-key'), 200);
      assert.equal(keys.authCalls, 1, 'the positive answer is cached');
      for (let i = 0; i < 3; i++) assert.equal(await status('/api/echo', 'bad-key'), 401);
      assert.equal(keys.authCalls, 2, 'the negative answer is cached');
      // The built-in key auth does not apply where an AuthHandler decides, and the reverse.
      assert.equal(await status('/api/echo', 'config-key'), 401);
      assert.equal(await status('/keyed/echo', 'config-key'), 200);
      assert.equal(await status('/keyed/echo', 'plugin-key'), 401);
      const calls = keys.authCalls;
      await cp.config.put('user.u1', { name: 'U1' });
      await waitFor(() => edge.gateway!.table.users.size === 1);
      assert.equal(await status('/api/echo', 'plugin-key'), 200);
      assert.equal(keys.authCalls, calls + 1, 'a config change empties the cache');
    } finally {
      await edge.close();
      await cp.close();
    }
  });

  test('hub outage: the gateway keeps serving, records wait in the outbox and reach the control plane after, once each', async () => {
    await using hub = await startNatsServer({ domain: 'hub', leafListen: true });
    const central = new Collector('central');
    const cp = await startControlPlane({
      natsUrl: hub.url,
      log: testLog(),
      plugins: [central],
      payloads: { backoffInitialMs: 20, backoffMaxMs: 200 },
    });
    await cp.config.put('route.api', { path: '/api/', upstream: up.url });
    await cp.config.put('app.a', { name: 'A', credentials: [sha('key-a')] });
    const local = new Collector('local');
    const edge = await startEdgeNode({
      leaf: { hubUrl: hub.leafUrl as string, storeDir: join(dir, 'out-leaf') },
      edgeId: 'out-1',
      namespace: 'eu',
      log: testLog(),
      stateDir: join(dir, 'out-1'),
      plugins: [local],
      gateway: { telemetry: { flushMs: 20, batchSize: 7 } },
    });
    try {
      assert.equal(edge.payloadMode, 'outbox');
      const gw = edge.gateway!.address;
      await waitFor(() => edge.gateway!.table.keys.size === 1);
      const ids: string[] = [];
      const send = async (n: number) => {
        for (let i = 0; i < n; i++) {
          const r = await call(gw, '/api/echo', { headers: { authorization: 'Bearer key-a' } });
          assert.equal(r.status, 200);
          ids.push(r.headers['x-request-id'] as string);
        }
      };
      await send(10);
      await waitFor(() => central.logs.length === 10, { timeoutMs: 10_000 });
      await hub.stop();
      await send(30);
      await waitFor(() => local.logs.length === 40);
      await waitFor(() => edge.pendingPayloads() > 0 || edge.gateway!.telemetry.counters.sent === 40);
      assert.equal(central.logs.length, 10, 'nothing reached the control plane during the outage');
      await hub.restart();
      await waitFor(() => central.logs.length >= 40, {
        timeoutMs: 30_000,
        message: `central ${central.logs.length}/40`,
      });
      const got = central.logs.map((l) => l.requestId);
      assert.equal(new Set(got).size, got.length, 'none twice');
      assert.deepEqual(new Set(got), new Set(ids), 'none lost');
      assert.equal(edge.gateway!.telemetry.counters.dropped, 0);
    } finally {
      await edge.close();
      await cp.close();
    }
  });
});
