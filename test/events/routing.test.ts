import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Direction } from '@hubspoke/sdk';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startFabric, type Fabric } from '../fixtures/fabric.js';
import { waitFor } from '../helpers/index.js';

// One fabric (hub, control plane, edge-eu-1 in eu, edge-us-1 in us) for the routing rules. Absence is shown
// with a marker sent after the event on the same path: NATS keeps one publisher's order to one subscriber,
// and one subscription's queue keeps it too, so once the marker is in, the event would have been before it.
describe('event routing across the fabric', () => {
  let f: Fabric;
  let raw: NatsConnection;
  const wire: string[] = [];

  before(async () => {
    f = await startFabric();
    raw = await connect({ servers: f.hub.url });
    raw.subscribe('hs.>', { callback: (_e, m) => void wire.push(m.subject) });
    await raw.flush();
  });
  after(async () => {
    await raw?.close();
    await f?.[Symbol.asyncDispose]();
  });

  const seen = (r: { topics(): string[] }, topic: string) => r.topics().includes(topic);

  async function downMarker(name: string): Promise<void> {
    await f.control.events.publish(name, {}, Direction.Down);
    await waitFor(() => seen(f.rec.eu, name) && seen(f.rec.us, name), { message: `marker ${name}` });
  }

  test('Up from an edge reaches the control plane as Local, with the sender named, and is delivered locally', async () => {
    const id = await f.eu.events.publish('cache.miss', { key: 'user:42' }, Direction.Up);
    const ev = await waitFor(() => f.rec.control.events.find((e) => e.id === id));
    assert.equal(ev.dir, Direction.Local);
    assert.equal(ev.edgeId, 'edge-eu-1');
    assert.equal(ev.namespace, 'eu');
    assert.deepEqual(ev.payload, { key: 'user:42' });
    const local = await waitFor(() => f.rec.eu.events.find((e) => e.id === id));
    assert.equal(local.dir, Direction.Up, 'the sender sees its own event with its direction');
    await downMarker('marker.up');
    assert.ok(!f.rec.us.events.some((e) => e.id === id), 'the other edge must not see an Up event');
  });

  test('Down to all reaches every edge, and the control plane locally', async () => {
    const id = await f.control.events.publish('cache.invalidate', { key: 'k1' }, Direction.Down);
    for (const r of [f.rec.eu, f.rec.us]) {
      const ev = await waitFor(() => r.events.find((e) => e.id === id));
      assert.equal(ev.dir, Direction.Local);
      assert.equal(ev.namespace, undefined);
      assert.equal(ev.edgeId, undefined);
    }
    const local = await waitFor(() => f.rec.control.events.find((e) => e.id === id));
    assert.equal(local.dir, Direction.Down);
  });

  test('Down to one namespace reaches only its edges', async () => {
    const id = await f.control.events.publish('cache.invalidate', { key: 'k2' }, Direction.Down, { namespace: 'eu' });
    const ev = await waitFor(() => f.rec.eu.events.find((e) => e.id === id));
    assert.equal(ev.namespace, 'eu');
    await downMarker('marker.ns');
    assert.ok(!f.rec.us.events.some((e) => e.id === id), 'us must not receive a Down event for eu');
  });

  test('Down to one edge reaches only that edge, with or without its namespace', async () => {
    const a = await f.control.events.publish('cache.invalidate', { key: 'k3' }, Direction.Down, {
      edgeId: 'edge-us-1',
    });
    const b = await f.control.events.publish('cache.invalidate', { key: 'k4' }, Direction.Down, {
      namespace: 'us',
      edgeId: 'edge-us-1',
    });
    const c = await f.control.events.publish('cache.invalidate', { key: 'k5' }, Direction.Down, {
      namespace: 'eu',
      edgeId: 'edge-us-1',
    });
    await waitFor(() => [a, b].every((id) => f.rec.us.events.some((e) => e.id === id)));
    assert.equal(f.rec.us.events.find((e) => e.id === a)?.edgeId, 'edge-us-1');
    await downMarker('marker.edge');
    for (const id of [a, b, c]) assert.ok(!f.rec.eu.events.some((e) => e.id === id), `eu must not receive ${id}`);
    assert.ok(!f.rec.us.events.some((e) => e.id === c), 'an edge in another namespace is not addressed');
  });

  test('Local never leaves the node; Up on the control plane and Down on an edge stay local', async () => {
    const before = wire.length;
    const l1 = await f.eu.events.publish('only.here', 1, Direction.Local);
    const l2 = await f.control.events.publish('only.here', 2, Direction.Local);
    const l3 = await f.control.events.publish('only.here', 3, Direction.Up);
    const l4 = await f.eu.events.publish('only.here', 4, Direction.Down);
    await waitFor(() => [l1, l4].every((id) => f.rec.eu.events.some((e) => e.id === id)));
    await waitFor(() => [l2, l3].every((id) => f.rec.control.events.some((e) => e.id === id)));
    await downMarker('marker.local');
    assert.deepEqual(
      wire.slice(before).filter((s) => s.endsWith('only.here')),
      [],
      'nothing went on the wire',
    );
    assert.ok(!f.rec.us.events.some((e) => e.topic === 'only.here'));
    assert.ok(!f.rec.control.events.some((e) => e.id === l1 || e.id === l4));
  });

  test('what arrives from the other side is never forwarded again (no loops)', async () => {
    const before = wire.length;
    const id = await f.eu.events.publish('loop.check', {}, Direction.Up);
    await waitFor(() => f.rec.control.events.some((e) => e.id === id));
    await downMarker('marker.loop');
    await waitFor(() => wire.slice(before).some((s) => s.endsWith('marker.loop')));
    const loop = wire.slice(before).filter((s) => s.endsWith('loop.check'));
    assert.deepEqual(loop, ['hs.evt.up.eu.edge-eu-1.loop.check'], 'exactly one message on the wire');
  });

  test('wildcards, subscribeAll and unsubscribe', async () => {
    const svc = f.rec.control.services.events;
    const star: string[] = [];
    const tail: string[] = [];
    const all: string[] = [];
    const s1 = await svc.subscribe('orders.*.created', (e) => void star.push(e.topic));
    const s2 = await svc.subscribe('orders.>', (e) => void tail.push(e.topic));
    const s3 = await svc.subscribeAll((e) => void all.push(e.topic));
    for (const t of ['orders.eu.created', 'orders.eu.deleted', 'orders.eu.x.created', 'orders', 'other.thing']) {
      await f.eu.events.publish(t, {}, Direction.Up);
    }
    await waitFor(() => all.includes('other.thing'));
    assert.deepEqual(star, ['orders.eu.created']);
    assert.deepEqual(tail, ['orders.eu.created', 'orders.eu.deleted', 'orders.eu.x.created']);
    assert.deepEqual(all, ['orders.eu.created', 'orders.eu.deleted', 'orders.eu.x.created', 'orders', 'other.thing']);
    await svc.unsubscribe(s1);
    await svc.unsubscribe(s2);
    await f.eu.events.publish('orders.us.created', {}, Direction.Up);
    await f.eu.events.publish('after.unsub', {}, Direction.Up);
    await waitFor(() => all.includes('after.unsub'));
    assert.deepEqual(star, ['orders.eu.created'], 'no delivery after unsubscribe');
    assert.equal(tail.length, 3, 'no delivery after unsubscribe');
    await svc.unsubscribe(s3);
  });

  test('publishRaw carries bytes as they are', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const id = await f.control.events.publishRaw('blob.put', bytes, Direction.Down, { edgeId: 'edge-eu-1' });
    const ev = await waitFor(() => f.rec.eu.events.find((e) => e.id === id));
    assert.deepEqual([...ev.raw], [...bytes]);
    assert.equal(ev.contentType, 'application/octet-stream');
    assert.deepEqual([...(ev.payload as Uint8Array)], [...bytes]);
  });

  test('bad input is refused with a coded error and nothing is sent', async () => {
    const before = wire.length;
    const svc = f.eu.events;
    const cases: [() => Promise<unknown>, string][] = [
      [() => svc.publish('a.*', {}, Direction.Up), 'HS_ERR_INVALID_TOPIC'],
      [() => svc.publish('a..b', {}, Direction.Up), 'HS_ERR_INVALID_TOPIC'],
      [() => svc.publish('café', {}, Direction.Up), 'HS_ERR_INVALID_TOPIC'],
      [() => svc.publish('', {}, Direction.Up), 'HS_ERR_INVALID_TOPIC'],
      [() => svc.subscribe('a.>.b', () => undefined), 'HS_ERR_INVALID_TOPIC'],
      [() => svc.publish('ok', {}, 7 as Direction), 'HS_ERR_INVALID_ARGUMENT'],
      [
        () => svc.publishRaw('ok', new Uint8Array(f.eu.node.limits.maxPayloadBytes + 1), Direction.Up),
        'HS_ERR_PAYLOAD_TOO_LARGE',
      ],
      [() => svc.publish('ok', {}, Direction.Up, { metadata: { k: 'v'.repeat(5000) } }), 'HS_ERR_METADATA_INVALID'],
      [() => svc.publish('ok', {}, Direction.Up, { correlationId: 'c'.repeat(1000) }), 'HS_ERR_METADATA_INVALID'],
      [() => f.control.events.publish('ok', {}, Direction.Down, { namespace: 'no such' }), 'HS_ERR_INVALID_NAME'],
    ];
    for (const [fn, code] of cases) await assert.rejects(fn, (e: { code?: string }) => e.code === code, code);
    await downMarker('marker.bad');
    assert.deepEqual(
      wire.slice(before).filter((s) => !s.endsWith('marker.bad')),
      [],
    );
  });
});
