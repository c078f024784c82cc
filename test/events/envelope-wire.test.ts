import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Direction, encodeEnvelope } from '@hubspoke/sdk';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import protobuf from 'protobufjs';
import { startFabric, type Fabric } from '../fixtures/fabric.js';
import { waitFor } from '../helpers/index.js';

const PROTO = fileURLToPath(new URL('../../proto/hubspoke/v1/envelope.proto', import.meta.url));

describe('the envelope on the wire', () => {
  let f: Fabric;
  let raw: NatsConnection;

  before(async () => {
    f = await startFabric();
    raw = await connect({ servers: f.hub.url });
  });
  after(async () => {
    await raw?.close();
    await f?.[Symbol.asyncDispose]();
  });

  test('every field arrives unchanged, plus the received time', async () => {
    const t0 = Date.now();
    const meta = { tenant: 'acme', 'x-ünïcode': 'värde ✓', empty: '' };
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const id = await f.eu.events.publish('cache.miss', { key: 'é', n: [1, 2] }, Direction.Up, {
      correlationId: 'corr-1',
      causationId: 'cause-1',
      metadata: meta,
      traceparent,
    });
    const ev = await waitFor(() => f.rec.control.events.find((e) => e.id === id));
    assert.equal(ev.topic, 'cache.miss');
    assert.equal(ev.origin, 'plugin:edge@edge-eu-1');
    assert.equal(ev.correlationId, 'corr-1');
    assert.equal(ev.causationId, 'cause-1');
    assert.equal(ev.traceparent, traceparent);
    assert.deepEqual({ ...ev.metadata }, meta);
    assert.deepEqual(ev.payload, { key: 'é', n: [1, 2] });
    assert.equal(ev.contentType, 'application/json');
    assert.ok(ev.timestamp.getTime() >= t0 && ev.timestamp.getTime() <= Date.now());
    assert.ok(ev.receivedAt.getTime() >= ev.timestamp.getTime());
  });

  test('a raw nats.js subscriber decodes a fabric message with only the .proto file', async () => {
    const Envelope = (await protobuf.load(PROTO)).lookupType('hubspoke.v1.Envelope');
    const got = new Promise<Record<string, unknown>>((resolve) => {
      raw.subscribe('hs.evt.down.>', {
        max: 1,
        callback: (_e, m) => resolve(Envelope.toObject(Envelope.decode(m.data), { longs: Number, enums: String })),
      });
    });
    await raw.flush();
    const id = await f.control.events.publish('cache.invalidate', { key: 'k' }, Direction.Down, {
      namespace: 'eu',
      correlationId: 'c-9',
      metadata: { a: 'b' },
    });
    const msg = await got;
    assert.equal(msg['id'], id);
    assert.equal(msg['topic'], 'cache.invalidate');
    assert.equal(msg['direction'], 'DIRECTION_DOWN');
    assert.equal(msg['origin'], 'plugin:control@control');
    assert.equal(msg['namespace'], 'eu');
    assert.equal(msg['correlationId'], 'c-9');
    assert.deepEqual(msg['metadata'], { a: 'b' });
    assert.equal(msg['contentType'], 'application/json');
    assert.deepEqual(JSON.parse(Buffer.from(msg['payload'] as Uint8Array).toString()), { key: 'k' });
    assert.ok(typeof msg['timeUnixMs'] === 'number' && (msg['timeUnixMs'] as number) > 0);
  });

  test('a message written by another program with protobufjs is read by the fabric', async () => {
    const Envelope = (await protobuf.load(PROTO)).lookupType('hubspoke.v1.Envelope');
    const body = Envelope.encode(
      Envelope.fromObject({
        id: 'foreign-1',
        topic: 'foreign.event',
        direction: 1,
        origin: 'plugin:py@edge-us-1',
        namespace: 'us',
        edgeId: 'edge-us-1',
        timeUnixMs: 1700000000000,
        contentType: 'application/json',
        payload: Buffer.from('"hi"'),
      }),
    ).finish();
    raw.publish('hs.evt.up.us.edge-us-1.foreign.event', body);
    const ev = await waitFor(() => f.rec.control.events.find((e) => e.id === 'foreign-1'));
    assert.equal(ev.payload, 'hi');
    assert.equal(ev.timestamp.getTime(), 1700000000000);
    assert.equal(ev.edgeId, 'edge-us-1');
  });

  test('duplicate ids are delivered once: fabric-shaped ids (per-process window) and any other id', async () => {
    // `<12-character process prefix>.<base 36 counter>` takes the per-process bitmap; 'dup-1' the fallback ring.
    for (const id of ['dup-1', 'DupDupDupDup.1z', 'DupDupDupDup.1y']) {
      const body = encodeEnvelope({
        id,
        topic: 'dup.check',
        direction: Direction.Up,
        origin: 'plugin:x@edge-eu-1',
        namespace: 'eu',
        edgeId: 'edge-eu-1',
        timeUnixMs: Date.now(),
      });
      const before = f.control.node.counters.duplicates;
      for (let i = 0; i < 3; i++) raw.publish('hs.evt.up.eu.edge-eu-1.dup.check', body);
      const done = `dup-done-${id}`;
      raw.publish(
        'hs.evt.up.eu.edge-eu-1.dup.done',
        encodeEnvelope({
          id: done,
          topic: 'dup.done',
          direction: Direction.Up,
          origin: 'x',
          namespace: 'eu',
          edgeId: 'edge-eu-1',
        }),
      );
      await waitFor(() => f.rec.control.events.some((e) => e.id === done));
      assert.equal(f.rec.control.events.filter((e) => e.id === id).length, 1, id);
      assert.equal(f.control.node.counters.duplicates - before, 2, `the two duplicates of ${id} are counted`);
    }
  });

  test('malformed and spoofed messages are rejected, counted, and do not reach plugins', async () => {
    const before = f.control.node.counters.rejected;
    const spoof = encodeEnvelope({
      id: 'spoof-1',
      topic: 'cache.miss',
      direction: Direction.Up,
      origin: 'x',
      namespace: 'us',
      edgeId: 'edge-us-1',
    });
    raw.publish('hs.evt.up.eu.edge-eu-1.cache.miss', spoof); // envelope claims another edge than its subject
    raw.publish('hs.evt.up.eu.edge-eu-1.cache.miss', new Uint8Array([0x0a, 0x05, 0x61])); // truncated
    raw.publish(
      'hs.evt.up.eu.edge-eu-1.cache.miss',
      encodeEnvelope({ id: 'x', topic: 'other', direction: 1, namespace: 'eu', edgeId: 'edge-eu-1' }),
    );
    raw.publish(
      'hs.evt.up.eu.edge-eu-1.cache.miss',
      encodeEnvelope({ id: 'y', topic: 'cache.miss', direction: 2, namespace: 'eu', edgeId: 'edge-eu-1' }),
    );
    await waitFor(() => f.control.node.counters.rejected - before === 4, { message: 'four rejections' });
    assert.ok(!f.rec.control.events.some((e) => ['spoof-1', 'x', 'y'].includes(e.id)));
  });
});
