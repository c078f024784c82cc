import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BasePlugin, Direction, type Context, type Event, type Manifest, type ManifestProvider } from '@hubspoke/sdk';
import { startControlPlane, type ControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode, type EdgeNode } from '@hubspoke/edge-node';
import { testLog } from '../fixtures/fabric.js';
import { Recorder } from '../fixtures/recorder.js';
import { startNatsServer, waitFor, type NatsServer } from '../helpers/index.js';

/** A plugin with a manifest of the given scopes, exposing its (guarded) services to the test. */
class Scoped extends BasePlugin implements ManifestProvider {
  ctx: Context | undefined;
  constructor(
    name: string,
    private readonly scopes: string[],
  ) {
    super({ name, version: '1.0.0' });
  }
  getManifest(): Manifest {
    return { name: this.info.name, version: this.info.version, scopes: this.scopes };
  }
  override async initialize(ctx: Context): Promise<void> {
    this.ctx = ctx;
  }
  get s(): Context['services'] {
    if (!this.ctx) throw new Error(`${this.info.name} is not initialized`);
    return this.ctx.services;
  }
}

const isDenied = (plugin: string, re: RegExp) => (e: Error & { code?: string }) =>
  e.code === 'HS_ERR_SCOPE_DENIED' && e.message.includes(`plugin ${plugin}:`) && re.test(e.message);

/** Resolves: the guard let the call through and the service did it. */
async function passesTheGuard(p: Promise<unknown>): Promise<void> {
  await p;
}

// One hub, one control plane and one edge (straight to the hub), each with a scoped plugin, a plugin whose
// manifest grants nothing, and a recorder without a manifest (which may do everything).
describe('plugin scopes, enforced by the host on the control plane and on edges', () => {
  let hub: NatsServer;
  let dir: string;
  let cp: ControlPlane;
  let edge: EdgeNode;
  const cpScoped = new Scoped('cp-scoped', [
    'events.publish:alerts.>',
    'events.subscribe:telemetry.>',
    'kv.readwrite',
    'config.read',
    'edges.read',
  ]);
  const cpBare = new Scoped('cp-bare', []);
  const cpRec = new Recorder('cp-rec');
  const edgeScoped = new Scoped('edge-scoped', [
    'events.publish:telemetry.>',
    'events.subscribe:alerts.>',
    'control.send',
    'config.read',
  ]);
  const edgeBare = new Scoped('edge-bare', []);
  const edgeRec = new Recorder('edge-rec');

  before(async () => {
    hub = await startNatsServer({ domain: 'hub' });
    dir = await mkdtemp(join(tmpdir(), 'hubspoke-scopes-'));
    cp = await startControlPlane({ natsUrl: hub.url, log: testLog(), plugins: [cpScoped, cpBare, cpRec] });
    edge = await startEdgeNode({
      natsUrl: hub.url,
      edgeId: 'edge-1',
      namespace: 'eu',
      log: testLog(),
      stateDir: join(dir, 'edge'),
      plugins: [edgeScoped, edgeBare, edgeRec],
    });
  });
  after(async () => {
    await edge?.close();
    await cp?.close();
    await hub?.[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
  });

  test('events.publish: a topic its patterns match goes out; any other is refused and never sent', async () => {
    await assert.rejects(
      edgeScoped.s.events.publish('alerts.fire', {}, Direction.Up),
      isDenied('edge-scoped', /publish "alerts.fire" needs the scope events.publish:<pattern matching "alerts.fire">/),
    );
    await assert.rejects(
      edgeBare.s.events.publishRaw('telemetry.cpu', new Uint8Array(1), Direction.Up),
      isDenied('edge-bare', /publish/),
    );
    const id = await edgeScoped.s.events.publish('telemetry.cpu', { v: 1 }, Direction.Up);
    await waitFor(() => cpRec.events.some((e) => e.id === id), { message: 'allowed Up event at the control plane' });
    assert.ok(!cpRec.topics().includes('alerts.fire'), 'the refused publish was not sent before the allowed one');

    await assert.rejects(
      cpScoped.s.events.publish('telemetry.cpu', {}, Direction.Down),
      isDenied('cp-scoped', /grants events.publish:alerts.>/),
    );
    const down = await cpScoped.s.events.publish('alerts.fire', { level: 2 }, Direction.Down);
    await waitFor(() => edgeRec.events.some((e) => e.id === down), { message: 'allowed Down event at the edge' });
  });

  test('events.subscribe: a covered pattern subscribes and receives; >, *.x and subscribeAll are refused', async () => {
    const got: Event[] = [];
    await edgeScoped.s.events.subscribe('alerts.*', (ev) => void got.push(ev));
    for (const p of ['>', '*.fire', 'alerts', 'telemetry.cpu']) {
      await assert.rejects(
        edgeScoped.s.events.subscribe(p, () => undefined),
        isDenied('edge-scoped', new RegExp(`subscribe "${p.replace('*', '\\*')}"`)),
      );
    }
    await assert.rejects(
      edgeScoped.s.events.subscribeAll(() => undefined),
      isDenied('edge-scoped', /subscribeAll needs the scope events.subscribe:>/),
    );
    await assert.rejects(
      edgeBare.s.events.subscribe('alerts.fire', () => undefined),
      isDenied('edge-bare', /it grants none/),
    );
    const id = await cpScoped.s.events.publish('alerts.smoke', {}, Direction.Down);
    await waitFor(() => got.some((e) => e.id === id), { message: 'the allowed subscription receives' });
    assert.equal(
      edge.node.bus.stats().filter((s) => s.owner === 'edge-scoped').length,
      1,
      'refused ones made no subscription',
    );

    const upGot: Event[] = [];
    await cpScoped.s.events.subscribe('telemetry.>', (ev) => void upGot.push(ev));
    await assert.rejects(
      cpScoped.s.events.subscribe('alerts.>', () => undefined),
      isDenied('cp-scoped', /subscribe "alerts.>"/),
    );
    const up = await edgeScoped.s.events.publish('telemetry.mem', {}, Direction.Up);
    await waitFor(() => upGot.some((e) => e.id === up), { message: 'the control plane subscription receives' });
  });

  test('kv.readwrite: granted on the control plane, refused without it (control and edge)', async () => {
    await cpScoped.s.kv.put('k', 'v');
    assert.equal(Buffer.from((await cpScoped.s.kv.get('k')) ?? []).toString(), 'v');
    assert.deepEqual(await cpScoped.s.kv.list(), ['k']);
    await assert.rejects(cpBare.s.kv.put('k', 'x'), isDenied('cp-bare', /kv.put needs the scope kv.readwrite/));
    await assert.rejects(cpBare.s.kv.get('k'), isDenied('cp-bare', /kv.get/));
    await assert.rejects(edgeScoped.s.kv.list(), isDenied('edge-scoped', /kv.list needs the scope kv.readwrite/));
    await edgeRec.services.kv.put('free', 'yes');
    assert.deepEqual(await edgeRec.services.kv.list(), ['free'], 'a plugin without a manifest may use KV');
  });

  test('control.send: sendToControl with the scope is stored; without it, refused', async () => {
    const r = await edgeScoped.s.edge!.sendToControl({ n: 1 });
    assert.ok(r.id);
    await assert.rejects(
      edgeBare.s.edge!.sendToControl({ n: 2 }),
      isDenied('edge-bare', /edge.sendToControl needs the scope control.send/),
    );
  });

  test('config.read and config.write: reads pass the guard with config.read; writes need config.write', async () => {
    await passesTheGuard(edgeScoped.s.edge!.config.get('plugin.x'));
    await passesTheGuard(edgeScoped.s.edge!.config.list());
    await assert.rejects(
      edgeBare.s.edge!.config.get('plugin.x'),
      isDenied('edge-bare', /edge.config.get needs the scope config.read/),
    );
    await passesTheGuard(cpScoped.s.control!.config.get('plugin.x'));
    await passesTheGuard(cpScoped.s.control!.config.list());
    await assert.rejects(
      cpScoped.s.control!.config.put('plugin.x', {}),
      isDenied('cp-scoped', /control.config.put needs the scope config.write/),
    );
    await assert.rejects(cpScoped.s.control!.config.delete('plugin.x'), isDenied('cp-scoped', /config.write/));
    await assert.rejects(
      cpBare.s.control!.config.list(),
      isDenied('cp-bare', /control.config.list needs the scope config.read/),
    );
  });

  test('edges.read: edges.list with the scope; refused without it', async () => {
    const edges = await cpScoped.s.control!.edges.list();
    assert.ok(edges.some((e) => e.edgeId === 'edge-1'));
    await assert.rejects(
      cpBare.s.control!.edges.list(),
      isDenied('cp-bare', /control.edges.list needs the scope edges.read/),
    );
  });

  test('a plugin without a manifest may do everything (subscribe >, publish any topic)', async () => {
    const id = await edgeRec.services.events.publish('anything.at.all', {}, Direction.Up);
    await waitFor(() => cpRec.events.some((e) => e.id === id));
    await edgeRec.services.events.unsubscribe(await edgeRec.services.events.subscribeAll(() => undefined));
  });

  test('the host keeps each plugin manifest, checked and frozen', () => {
    const h = cp.node.host.list().find((p) => p.name === 'cp-scoped');
    assert.deepEqual(h?.manifest?.scopes, cpScoped.getManifest().scopes);
    assert.equal(cp.node.host.list().find((p) => p.name === 'cp-rec')?.manifest, undefined);
    assert.deepEqual([...cp.node.host.manifests().keys()], ['cp-scoped', 'cp-bare']);
  });
});

describe('manifests are checked at load, before connecting', () => {
  test('a bad scope or a foreign name fails start with HS_ERR_PLUGIN naming the plugin and the scope', async () => {
    class Bad extends Scoped {
      override getManifest(): Manifest {
        return { name: 'someone-else', version: '1', scopes: ['events.publish:a.>', 'kv.write'] };
      }
    }
    await assert.rejects(
      startEdgeNode({
        natsUrl: 'nats://127.0.0.1:1',
        edgeId: 'e',
        namespace: 'n',
        log: testLog(),
        plugins: [new Bad('bad', [])],
      }),
      (e: Error & { code?: string }) =>
        e.code === 'HS_ERR_PLUGIN' &&
        /plugin bad: manifest is invalid/.test(e.message) &&
        /scope "kv.write" is unknown/.test(e.message) &&
        /name "someone-else" is not the plugin's name "bad"/.test(e.message),
    );
  });
});
