import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startControlPlane, type ControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode, type EdgeNode } from '@hubspoke/edge-node';
import {
  BasePlugin,
  ErrorCode,
  type ConfigChange,
  type ConfigChangeHandler,
  type ConfigProvider,
  type Context,
  type EdgeInfo,
  type ObjectChange,
  type ObjectHookHandler,
  type ObjectHookResult,
} from '@hubspoke/sdk';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { testLog } from '../fixtures/fabric.js';
import { startNatsServer, waitFor, type NatsServer } from '../helpers/index.js';

const HB = 200;

/** An edge plugin with a schema that records its config and every change it is told of. */
class CachePlugin extends BasePlugin implements ConfigProvider, ConfigChangeHandler {
  initConfig: Record<string, unknown> | undefined;
  readonly changes: ConfigChange[] = [];
  ctx: Context | undefined;
  refuse = false;

  constructor(name = 'cache') {
    super({ name, version: '1.0.0' });
  }

  getConfigSchema(): Record<string, unknown> {
    return {
      type: 'object',
      properties: { ttlSeconds: { type: 'integer', minimum: 1 }, mode: { type: 'string', default: 'lru' } },
      additionalProperties: false,
    };
  }

  override async initialize(ctx: Context, config: Record<string, unknown>): Promise<void> {
    this.ctx = ctx;
    this.initConfig = config;
  }

  /** What `config.get(key)` returned inside each onConfigChange. */
  readonly inside: unknown[] = [];

  async onConfigChange(ctx: Context, change: ConfigChange): Promise<void> {
    if (this.refuse && change.key === `plugin.${this.info.name}`) throw new Error('not now');
    this.inside.push(await ctx.services.edge?.config.get(change.key));
    this.changes.push(change);
  }

  keys(): string[] {
    return this.changes.map((c) => `${c.key}${c.deleted ? '(deleted)' : ''}`);
  }
}

/** A control-plane object hook: refuses keys under `locked.`, stamps values of keys under `stamped.`. */
class Guard extends BasePlugin implements ObjectHookHandler {
  readonly seen: ObjectChange[] = [];
  constructor() {
    super({ name: 'guard', version: '1.0.0' });
  }
  async onObjectChange(_ctx: Context, change: ObjectChange): Promise<ObjectHookResult> {
    this.seen.push(change);
    if (change.key.startsWith('locked.')) return { allow: false, reason: `${change.key} is locked by policy` };
    if (change.operation === 'put' && change.key.startsWith('stamped.')) {
      return { allow: true, value: { ...(change.value as object), stampedBy: 'guard' } };
    }
    return { allow: true };
  }
}

/** A control-plane plugin whose own config the control plane can check at put. */
class Billing extends BasePlugin implements ConfigProvider {
  constructor() {
    super({ name: 'billing', version: '1.0.0' });
  }
  getConfigSchema(): Record<string, unknown> {
    return {
      type: 'object',
      properties: { currency: { type: 'string', enum: ['EUR', 'USD'] } },
      required: ['currency'],
    };
  }
}

describe('config sync', () => {
  let hub: NatsServer;
  let dir: string;
  let cp: ControlPlane;
  const guard = new Guard();
  const edges: EdgeNode[] = [];
  const plugins = new Map<string, CachePlugin>();

  const info = async (edgeId: string): Promise<EdgeInfo | undefined> =>
    (await cp.edges.list()).find((e) => e.edgeId === edgeId);
  /** Waits until the control plane shows the edge has applied at least `revision`. */
  const acked = (edgeId: string, revision: number): Promise<EdgeInfo> =>
    waitFor(async () => {
      const e = await info(edgeId);
      return e && e.appliedRevision >= revision ? e : undefined;
    });

  async function edge(edgeId: string, namespace: string): Promise<EdgeNode> {
    const plugin = new CachePlugin();
    plugins.set(edgeId, plugin);
    const e = await startEdgeNode({
      natsUrl: hub.url,
      edgeId,
      namespace,
      log: testLog(),
      heartbeatMs: HB,
      stateDir: join(dir, edgeId),
      plugins: [plugin],
    });
    edges.push(e);
    return e;
  }

  before(async () => {
    hub = await startNatsServer({ domain: 'hub' });
    dir = await mkdtemp(join(tmpdir(), 'hubspoke-cfg-'));
    cp = await startControlPlane({
      natsUrl: hub.url,
      log: testLog(),
      plugins: [guard, { plugin: new Billing(), config: { currency: 'USD' } }],
    });
    await edge('cfg-eu-1', 'eu');
    await edge('cfg-eu-2', 'eu');
    await edge('cfg-us-1', 'us');
  });
  after(async () => {
    await Promise.allSettled(edges.map((e) => e.close()));
    await cp?.close();
    await hub?.[Symbol.asyncDispose]();
    // maxRetries: a config apply still in flight when an edge closes may write its file KV during the removal
    // (ENOTEMPTY seen under load); EdgeConfig.stop() does not wait for it.
    await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  });

  const view = (edgeId: string) => (plugins.get(edgeId) as CachePlugin).ctx?.services.edge?.config;

  test('a namespace change reaches only that namespace, a global one every edge; each edge acknowledges the revision', async () => {
    const rGlobal = await cp.config.put('feature.flags', { beta: true });
    const rEu = await cp.config.put('rate.limit', { rps: 100 }, { namespace: 'eu' });
    assert.ok(rEu > rGlobal, 'revisions rise across scopes');

    for (const id of ['cfg-eu-1', 'cfg-eu-2']) {
      const e = await acked(id, rEu);
      assert.equal(e.latestRevision, rEu);
      assert.equal(e.lastError, undefined);
      assert.deepEqual(await view(id)?.get('rate.limit'), { rps: 100 });
      assert.deepEqual(await view(id)?.get('feature.flags'), { beta: true });
    }
    const us = await acked('cfg-us-1', rGlobal);
    assert.equal(us.appliedRevision, rGlobal, 'the us edge applied the global revision and nothing of eu');
    assert.equal(us.latestRevision, rGlobal, 'an eu revision is not among what a us edge should see');
    assert.equal(await view('cfg-us-1')?.get('rate.limit'), undefined);
    assert.deepEqual(
      (await view('cfg-us-1')?.list())?.map((e) => e.key),
      ['feature.flags'],
    );
    assert.deepEqual(plugins.get('cfg-eu-1')?.keys(), ['feature.flags', 'rate.limit']);
    assert.deepEqual(plugins.get('cfg-us-1')?.keys(), ['feature.flags']);

    // The control plane's own view: each scope alone, no overlay.
    assert.deepEqual(await cp.config.get('rate.limit', { namespace: 'eu' }), { rps: 100 });
    assert.equal(await cp.config.get('rate.limit'), undefined);
    assert.deepEqual(
      (await cp.config.list({ namespace: 'eu' })).map((e) => [e.key, e.revision]),
      [['rate.limit', rEu]],
    );
  });

  test('a namespace object replaces the global one whole; deleting it brings the global one back', async () => {
    const g = await cp.config.put('ui.theme', { color: 'blue', size: 'm' });
    const n = await cp.config.put('ui.theme', { color: 'red' }, { namespace: 'eu' });
    await acked('cfg-eu-1', n);
    await acked('cfg-us-1', g);
    assert.deepEqual(await view('cfg-eu-1')?.get('ui.theme'), { color: 'red' });
    assert.deepEqual(await view('cfg-us-1')?.get('ui.theme'), { color: 'blue', size: 'm' });

    assert.equal(await cp.config.delete('ui.theme', { namespace: 'eu' }), true);
    assert.equal(await cp.config.delete('ui.theme', { namespace: 'eu' }), false, 'nothing left to delete');
    const last = await waitFor(() => {
      const c = plugins.get('cfg-eu-1')?.changes.at(-1);
      return c?.key === 'ui.theme' && (c.value as { color?: string } | undefined)?.color === 'blue' ? c : undefined;
    });
    assert.deepEqual(await view('cfg-eu-1')?.get('ui.theme'), { color: 'blue', size: 'm' });
    assert.equal(last?.key, 'ui.theme');
    assert.equal(last?.deleted, false, 'the key is still there for this edge: the global object');
    assert.deepEqual(last?.value, { color: 'blue', size: 'm' });

    await cp.config.delete('ui.theme');
    await waitFor(async () => (await view('cfg-us-1')?.get('ui.theme')) === undefined);
    await waitFor(() => plugins.get('cfg-us-1')?.changes.at(-1)?.deleted === true);
  });

  test('an invalid plugin config is rejected by the edge and reported; the old one stays in force until a valid one', async () => {
    const good = await cp.config.put('plugin.cache', { ttlSeconds: 30 });
    await acked('cfg-eu-1', good);
    assert.deepEqual(await view('cfg-eu-1')?.get('plugin.cache'), { ttlSeconds: 30 });
    const told = plugins.get('cfg-eu-1')?.changes.filter((c) => c.key === 'plugin.cache') ?? [];
    assert.deepEqual(
      told.at(-1)?.value,
      { ttlSeconds: 30, mode: 'lru' },
      'its own config arrives validated, defaults filled',
    );
    assert.deepEqual(
      plugins.get('cfg-eu-1')?.inside.at(-1),
      { ttlSeconds: 30 },
      'inside onConfigChange, the view has the new value',
    );

    // The control plane runs no plugin named cache: it cannot check, so the edges do.
    const bad = await cp.config.put('plugin.cache', { ttlSeconds: 'soon' });
    const e = await waitFor(async () => {
      const x = await info('cfg-eu-1');
      return x?.lastError ? x : undefined;
    });
    assert.match(
      e.lastError ?? '',
      new RegExp(`^HS_ERR_CONFIG_INVALID plugin\\.cache@${bad}: ttlSeconds must be integer`),
    );
    assert.ok(e.appliedRevision < bad, 'a rejected revision does not advance appliedRevision');
    assert.equal(e.latestRevision, bad);
    assert.deepEqual(await view('cfg-eu-1')?.get('plugin.cache'), { ttlSeconds: 30 }, 'the old config stays');
    assert.ok(!plugins.get('cfg-eu-1')?.changes.some((c) => c.revision === bad), 'the plugin never saw the bad one');

    const fixed = await cp.config.put('plugin.cache', { ttlSeconds: 60 });
    const ok = await acked('cfg-eu-1', fixed);
    assert.equal(ok.lastError, undefined, 'the next revision applied clears the error');
    assert.deepEqual(await view('cfg-eu-1')?.get('plugin.cache'), { ttlSeconds: 60 });
  });

  test('a plugin whose onConfigChange throws refuses its new config: the old one stays, the error is reported', async () => {
    const p = plugins.get('cfg-eu-2') as CachePlugin;
    const before = await cp.config.put('plugin.cache', { ttlSeconds: 5 }, { namespace: 'eu' });
    await acked('cfg-eu-2', before);
    p.refuse = true;
    try {
      const r = await cp.config.put('plugin.cache', { ttlSeconds: 6 }, { namespace: 'eu' });
      const e = await waitFor(async () => {
        const x = await info('cfg-eu-2');
        return x?.lastError?.includes(`@${r}`) ? x : undefined;
      });
      assert.match(e.lastError ?? '', /^HS_ERR_PLUGIN plugin\.cache@\d+: .*not now/);
      assert.deepEqual(await view('cfg-eu-2')?.get('plugin.cache'), { ttlSeconds: 5 });
    } finally {
      p.refuse = false;
    }
    await cp.config.delete('plugin.cache', { namespace: 'eu' });
  });

  test('the control plane refuses bad keys, non-JSON values and a config that fails its own plugin schema, storing nothing', async () => {
    const before = await cp.config.list();
    await assert.rejects(cp.config.put('bad..key', 1), { code: ErrorCode.InvalidKey });
    await assert.rejects(cp.config.put('_reserved', 1), { code: ErrorCode.InvalidKey });
    await assert.rejects(cp.config.put('a.b', 1, { namespace: '_all' }), { code: ErrorCode.InvalidName });
    await assert.rejects(
      cp.config.put('a.b', () => 1),
      { code: ErrorCode.ConfigInvalid },
    );
    await assert.rejects(cp.config.put('a.b', 'x'.repeat(300 * 1024)), /above the limit/);
    await assert.rejects(cp.config.put('plugin.anything', [1, 2]), /must be a JSON object/);
    await assert.rejects(cp.config.put('plugin.billing', { currency: 'GBP' }), (err: Error & { code?: string }) => {
      assert.equal(err.code, ErrorCode.ConfigInvalid);
      assert.match(err.message, /currency must be equal to one of the allowed values/);
      return true;
    });
    assert.ok(await cp.config.put('plugin.billing', { currency: 'EUR' }));
    assert.deepEqual(
      (await cp.config.list()).filter((e) => !before.some((b) => b.key === e.key)).map((e) => e.key),
      ['plugin.billing'],
    );
  });

  test('an object hook rejects a change with its reason, and may change a value before it is stored and pushed', async () => {
    await assert.rejects(
      cp.config.put('locked.door', { open: true }, { namespace: 'eu' }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, ErrorCode.ConfigRejected);
        assert.match(err.message, /rejected by plugin guard: locked\.door is locked by policy/);
        return true;
      },
    );
    assert.equal(await cp.config.get('locked.door', { namespace: 'eu' }), undefined);
    assert.deepEqual(guard.seen.at(-1), {
      operation: 'put',
      key: 'locked.door',
      namespace: 'eu',
      value: { open: true },
    });

    const r = await cp.config.put('stamped.item', { n: 1 });
    assert.deepEqual(await cp.config.get('stamped.item'), { n: 1, stampedBy: 'guard' });
    await acked('cfg-us-1', r);
    assert.deepEqual(await view('cfg-us-1')?.get('stamped.item'), { n: 1, stampedBy: 'guard' });
  });

  test('a change whose push was lost (a replica died between store and push) reaches the edges through the heartbeat digest', async () => {
    // Written straight into the bucket, as a replica that crashed before pushing would leave it: no push at all.
    const nc = await connect({ servers: hub.url });
    try {
      const kv = await new Kvm(nc).open('hs-config');
      const rev = await kv.put('_all.missed.key', JSON.stringify({ v: { lost: false } }));
      for (const id of ['cfg-eu-1', 'cfg-us-1']) {
        await acked(id, rev);
        assert.deepEqual(await view(id)?.get('missed.key'), { lost: false });
      }
    } finally {
      await nc.close();
    }
  });

  test("a snapshot request is answered only on the asking edge's own inbox (no reply-subject injection)", async () => {
    const nc = await connect({ servers: hub.url });
    try {
      const target = 'hs.evt.up.eu.cfg-eu-1.injected';
      const got: string[] = [];
      const sub = nc.subscribe(target, { callback: (_e, m) => void got.push(m.string()) });
      const inbox = '_INBOX.eu.cfg-eu-1.probe';
      const answered = new Promise<string>((resolve) => {
        const s2 = nc.subscribe(inbox, {
          callback: (_e, m) => {
            s2.unsubscribe();
            resolve(m.string());
          },
        });
      });
      await nc.flush();
      nc.publish('hs.req.eu.cfg-eu-1.config', '{}', { reply: target });
      nc.publish('hs.req.eu.cfg-eu-1.config', '{}', { reply: '_INBOX.us.cfg-us-1.x' });
      nc.publish('hs.req.eu.cfg-eu-1.config', '{}', { reply: inbox });
      assert.match(await answered, /"records"|"done"/, "the edge's own inbox is answered");
      await nc.flush();
      assert.deepEqual(got, []);
      sub.unsubscribe();
    } finally {
      await nc.close();
    }
  });

  test('a snapshot larger than one message arrives in chunks: an edge started later gets every object', async () => {
    const big = 'x'.repeat(40 * 1024);
    const revs: number[] = [];
    for (let i = 0; i < 16; i++) revs.push(await cp.config.put(`bulk.item-${i}`, { i, big }, { namespace: 'eu' }));
    await edge('cfg-eu-late', 'eu');
    const e = await acked('cfg-eu-late', Math.max(...revs));
    assert.equal(e.lastError, undefined);
    const list = (await view('cfg-eu-late')?.list()) ?? [];
    assert.equal(list.filter((x) => x.key.startsWith('bulk.')).length, 16);
    assert.equal(((await view('cfg-eu-late')?.get('bulk.item-15')) as { i: number }).i, 15);
    for (let i = 0; i < 16; i++) await cp.config.delete(`bulk.item-${i}`, { namespace: 'eu' });
  });
});
