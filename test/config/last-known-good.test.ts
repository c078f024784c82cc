// Last-known-good config: an edge behind its own leaf keeps what it applied in the leaf's JetStream, starts
// with it while the hub is down, and catches up once the hub is back. Real nats-servers: the hub from
// test/helpers, the leaf started and supervised by the edge itself.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode, type EdgeNode } from '@hubspoke/edge-node';
import {
  BasePlugin,
  type ConfigChange,
  type ConfigChangeHandler,
  type ConfigProvider,
  type Context,
} from '@hubspoke/sdk';
import { testLog } from '../fixtures/fabric.js';
import { startNatsServer, waitFor } from '../helpers/index.js';

class Cache extends BasePlugin implements ConfigProvider, ConfigChangeHandler {
  initConfig: Record<string, unknown> | undefined;
  readonly changes: ConfigChange[] = [];
  ctx: Context | undefined;
  constructor() {
    super({ name: 'cache', version: '1.0.0' });
  }
  getConfigSchema(): Record<string, unknown> {
    return { type: 'object', properties: { ttlSeconds: { type: 'integer' } }, additionalProperties: false };
  }
  override async initialize(ctx: Context, config: Record<string, unknown>): Promise<void> {
    this.ctx = ctx;
    this.initConfig = config;
  }
  async onConfigChange(_ctx: Context, change: ConfigChange): Promise<void> {
    this.changes.push(change);
  }
}

describe('last-known-good config', { timeout: 120_000 }, () => {
  test('an edge restarted while the hub is down starts with its last config, and catches up when the hub returns', async () => {
    await using hub = await startNatsServer({ domain: 'hub', leafListen: true });
    const dir = await mkdtemp(join(tmpdir(), 'hubspoke-lkg-'));
    const cp = await startControlPlane({ natsUrl: hub.url, log: testLog() });
    const edgeOpts = (plugin: Cache) => ({
      edgeId: 'lkg-1',
      namespace: 'eu',
      log: testLog(),
      heartbeatMs: 500,
      stateDir: join(dir, 'edge'),
      plugins: [plugin],
      leaf: { hubUrl: hub.leafUrl as string, storeDir: join(dir, 'leaf') },
    });
    let edge: EdgeNode | undefined;
    try {
      const first = new Cache();
      edge = await startEdgeNode(edgeOpts(first));
      const r1 = await cp.config.put('plugin.cache', { ttlSeconds: 10 }, { namespace: 'eu' });
      const g1 = await cp.config.put('site.name', 'berlin');
      await waitFor(async () => ((await cp.edges.list())[0]?.appliedRevision ?? 0) >= Math.max(r1, g1), {
        timeoutMs: 20_000,
      });
      await edge.close();
      edge = undefined;

      // Changed while the edge was away; then the hub goes down too.
      const r2 = await cp.config.put('plugin.cache', { ttlSeconds: 20 }, { namespace: 'eu' });
      await hub.stop();

      const second = new Cache();
      edge = await startEdgeNode(edgeOpts(second));
      assert.deepEqual(second.initConfig, { ttlSeconds: 10 }, 'initialize got the config applied before the restart');
      assert.equal(await second.ctx?.services.edge?.config.get('site.name'), 'berlin');

      await hub.restart();
      const change = await waitFor(() => second.changes.find((c) => c.revision === r2), { timeoutMs: 30_000 });
      assert.deepEqual(change.value, { ttlSeconds: 20 });
      assert.deepEqual(await second.ctx?.services.edge?.config.get('plugin.cache'), { ttlSeconds: 20 });
      const info = await waitFor(async () => (await cp.edges.list()).find((e) => e.appliedRevision >= r2), {
        timeoutMs: 20_000,
      });
      assert.equal(info.latestRevision, r2);
      assert.equal(info.lastError, undefined);
    } finally {
      await edge?.close();
      await cp.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('an edge straight to the hub keeps its config in a file and starts with it while no control plane answers', async () => {
    await using hub = await startNatsServer({ domain: 'hub' });
    const dir = await mkdtemp(join(tmpdir(), 'hubspoke-lkg-direct-'));
    const opts = (plugin: Cache) => ({
      natsUrl: hub.url,
      edgeId: 'lkg-2',
      namespace: 'us',
      log: testLog(),
      stateDir: join(dir, 'edge'),
      plugins: [plugin],
    });
    const cp = await startControlPlane({ natsUrl: hub.url, log: testLog() });
    let cpClosed = false;
    try {
      const first = new Cache();
      const e1 = await startEdgeNode(opts(first));
      const rev = await cp.config.put('plugin.cache', { ttlSeconds: 7 });
      await waitFor(async () => ((await cp.edges.list())[0]?.appliedRevision ?? 0) >= rev);
      await e1.close();
      await cp.close();
      cpClosed = true;

      const second = new Cache();
      const e2 = await startEdgeNode(opts(second));
      try {
        assert.deepEqual(second.initConfig, { ttlSeconds: 7 });
        assert.deepEqual(await second.ctx?.services.edge?.config.list(), [
          { key: 'plugin.cache', value: { ttlSeconds: 7 }, revision: rev },
        ]);
      } finally {
        await e2.close();
      }
    } finally {
      if (!cpClosed) await cp.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
