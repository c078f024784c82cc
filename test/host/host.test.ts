import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { BasePlugin, Direction, type ConfigProvider, type Context, type SessionAware } from '@hubspoke/sdk';
import { startControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode } from '@hubspoke/edge-node';
import { testLog } from '../fixtures/fabric.js';
import { startNatsServer, waitFor, type NatsServer } from '../helpers/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/plugins/${name}`, import.meta.url));
const code = (c: string) => (e: { code?: string }) => e.code === c;

class Lifecycle extends BasePlugin implements SessionAware, ConfigProvider {
  calls: string[] = [];
  config: Record<string, unknown> | undefined;
  ctx: Context | undefined;
  constructor(
    name = 'lifecycle',
    private readonly failAt?: string,
  ) {
    super({ name, version: '1.2.3' });
  }
  getConfigSchema() {
    return {
      type: 'object',
      properties: { ttl: { type: 'integer', minimum: 1 }, mode: { enum: ['fast', 'safe'], default: 'safe' } },
      required: ['ttl'],
      additionalProperties: false,
    };
  }
  override async initialize(ctx: Context, config: Record<string, unknown>) {
    this.calls.push('initialize');
    this.config = config;
    this.ctx = ctx;
    if (this.failAt === 'initialize') throw new Error('cannot start');
  }
  async onSessionReady(ctx: Context) {
    this.calls.push('onSessionReady');
    await ctx.services.events.subscribe('ping', () => undefined);
  }
  async onSessionClosing(ctx: Context) {
    this.calls.push(`onSessionClosing aborted=${ctx.signal.aborted}`);
  }
  override async shutdown(ctx: Context) {
    this.calls.push(`shutdown aborted=${ctx.signal.aborted}`);
  }
}

describe('plugin host', () => {
  let hub: NatsServer;
  let dir: string;
  before(async () => {
    hub = await startNatsServer();
    dir = await mkdtemp(join(tmpdir(), 'hubspoke-host-'));
  });
  after(async () => {
    await hub?.[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
  });

  test('lifecycle: validated config, initialize, onSessionReady once, shutdown with an aborted signal', async () => {
    const p = new Lifecycle();
    const cp = await startControlPlane({
      natsUrl: hub.url,
      log: testLog(),
      plugins: [{ plugin: p, config: { ttl: 5 } }],
    });
    assert.deepEqual(p.calls, ['initialize', 'onSessionReady'], 'ready has run when start resolves');
    assert.deepEqual(p.config, { ttl: 5, mode: 'safe' }, 'schema defaults are filled in');
    assert.equal(p.ctx?.runtime, 'control');
    assert.equal(p.ctx?.nodeId, 'control');
    assert.equal(p.ctx?.namespace, undefined);
    assert.deepEqual(p.ctx?.plugin, { name: 'lifecycle', version: '1.2.3' });
    assert.equal(cp.node.bus.stats().filter((s) => s.owner === 'lifecycle').length, 1);
    await cp.close();
    assert.deepEqual(p.calls, [
      'initialize',
      'onSessionReady',
      'onSessionClosing aborted=true',
      'shutdown aborted=true',
    ]);
    assert.equal(p.ctx?.signal.aborted, true);
    assert.equal(cp.node.bus.stats().length, 0, 'its subscriptions ended');
    assert.ok(cp.node.nc.isClosed());
  });

  test('a config that fails the schema stops start-up before initialize and before connecting, naming each field', async () => {
    const p = new Lifecycle();
    await assert.rejects(
      startControlPlane({
        natsUrl: 'nats://127.0.0.1:1',
        log: testLog(),
        plugins: [{ plugin: p, config: { ttl: 0, extra: 1 } }],
      }),
      (e: Error & { code?: string }) =>
        e.code === 'HS_ERR_CONFIG_INVALID' &&
        /lifecycle/.test(e.message) &&
        /ttl/.test(e.message) &&
        /extra/.test(e.message),
    );
    assert.deepEqual(p.calls, []);
  });

  test('plugins load from instances, classes and module paths; bad ones fail naming the plugin', async () => {
    class ByClass extends BasePlugin {
      constructor() {
        super({ name: 'by-class', version: '1.0.0' });
      }
    }
    const edge = await startEdgeNode({
      natsUrl: hub.url,
      edgeId: 'e1',
      namespace: 'ns',
      log: testLog(),
      stateDir: join(dir, 'e1'),
      plugins: [new Lifecycle('inst'), ByClass, fixture('path-plugin.js')].map((p) =>
        p instanceof Lifecycle ? { plugin: p, config: { ttl: 1 } } : p,
      ),
    });
    assert.deepEqual(
      edge.node.host.list().map((h) => h.name),
      ['inst', 'by-class', 'path-plugin'],
    );
    assert.equal((edge.node.host.list()[2]?.plugin as unknown as { initialized: boolean }).initialized, true);
    await edge.close();
    const bad: [unknown[], RegExp][] = [
      [[fixture('no-default.js')], /no default export/],
      [[fixture('does-not-exist.js')], /cannot be imported/],
      [[{ info: { name: 'x' } }], /not a plugin/],
      [[ByClass, ByClass], /by-class: is loaded twice/],
      [[new (class extends BasePlugin {})({ name: '_bad', version: '1' })], /plugin name "_bad" is invalid/],
    ];
    for (const [plugins, msg] of bad) {
      await assert.rejects(
        startEdgeNode({ natsUrl: hub.url, edgeId: 'e2', namespace: 'ns', log: testLog(), plugins: plugins as never }),
        (e: Error & { code?: string }) => e.code === 'HS_ERR_PLUGIN' && msg.test(e.message),
        String(msg),
      );
    }
  });

  test('a plugin whose initialize throws fails the start with HS_ERR_PLUGIN; those before it are shut down', async () => {
    const first = new Lifecycle('first');
    const second = new Lifecycle('second', 'initialize');
    await assert.rejects(
      startControlPlane({
        natsUrl: hub.url,
        log: testLog(),
        plugins: [
          { plugin: first, config: { ttl: 1 } },
          { plugin: second, config: { ttl: 1 } },
        ],
      }),
      (e: Error & { code?: string }) =>
        e.code === 'HS_ERR_PLUGIN' && /second: initialize failed: cannot start/.test(e.message),
    );
    assert.deepEqual(first.calls, ['initialize', 'shutdown aborted=true']);
  });

  test('runtime options are validated once, every bad field named', async () => {
    await assert.rejects(
      startEdgeNode({ natsUrl: 'not a url', edgeId: 'bad id', namespace: '_all', queueSize: 0 } as never),
      (e: Error & { code?: string }) =>
        e.code === 'HS_ERR_CONFIG_INVALID' &&
        ['natsUrl', 'edgeId', 'namespace', 'queueSize'].every((f) => e.message.includes(f)),
    );
    await assert.rejects(startControlPlane({ natsUrl: hub.url, bogus: 1 } as never), code('HS_ERR_CONFIG_INVALID'));
  });

  test('log lines carry node and plugin, and inside a handler the event id and correlation id', async () => {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        cb();
      },
    });
    class Chatty extends BasePlugin implements SessionAware {
      constructor() {
        super({ name: 'chatty', version: '1.0.0' });
      }
      async onSessionReady(ctx: Context) {
        await ctx.services.events.subscribe('talk', (ev) => ctx.services.logger.info('heard', { topic: ev.topic }));
      }
    }
    const cp = await startControlPlane({ natsUrl: hub.url, plugins: [Chatty], log: { level: 'info', destination } });
    const id = await cp.events.publish('talk', {}, Direction.Local, { correlationId: 'corr-7' });
    const line = await waitFor(() => lines.find((l) => l['msg'] === 'heard'));
    assert.equal(line['node'], 'control');
    assert.equal(line['plugin'], 'chatty');
    assert.equal(line['eventId'], id);
    assert.equal(line['correlationId'], 'corr-7');
    assert.equal(line['topic'], 'talk');
    await cp.close();
  });

  test('edge KV: local files when connected straight to the hub, the leaf JetStream behind a leaf', async () => {
    class KvUser extends BasePlugin {
      kv!: Context['services']['kv'];
      constructor() {
        super({ name: 'kv-user', version: '1.0.0' });
      }
      override async initialize(ctx: Context) {
        this.kv = ctx.services.kv;
      }
    }
    const direct = new KvUser();
    const e1 = await startEdgeNode({
      natsUrl: hub.url,
      edgeId: 'direct',
      namespace: 'ns',
      log: testLog(),
      stateDir: join(dir, 'direct'),
      plugins: [direct],
    });
    await direct.kv.put('k', 'v');
    assert.ok(existsSync(join(dir, 'direct', 'kv', 'kv-user.kv.json')), 'kept in a local file');
    await e1.close();

    await using leaf = await startNatsServer({ domain: 'edge-leafy', leafRemotes: [] });
    const viaLeaf = new KvUser();
    const e2 = await startEdgeNode({
      natsUrl: leaf.url,
      edgeId: 'leafy',
      namespace: 'ns',
      log: testLog(),
      stateDir: join(dir, 'leafy'),
      plugins: [viaLeaf],
    });
    await viaLeaf.kv.put('k', 'v');
    assert.ok(!existsSync(join(dir, 'leafy', 'kv')), 'no local file: the leaf JetStream holds it');
    assert.equal(Buffer.from((await viaLeaf.kv.get('k')) as Uint8Array).toString(), 'v');
    await e2.close();
  });
});
