import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JetStreamPublisher, subjects } from '@hubspoke/runtime';
import { Direction, EnvelopeEncoder, decodeEnvelope } from '@hubspoke/sdk';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pino from 'pino';
import { Forwarder } from '../../packages/edge-node/src/payloads/forwarder.js';
import { Outbox } from '../../packages/edge-node/src/payloads/outbox.js';
import { startNatsServer, waitFor } from '../helpers/index.js';

// The forwarder reads the edge's outbox from the leaf and sends it to the hub in order. A payload stored without
// its PubAck reaching the edge (here: published into the outbox behind the Outbox's back) is the edge's too: it
// must reach the hub once, in its place. (The same test held for a variant that took payloads from memory and
// read the outbox only to fill gaps; that variant gained nothing measurable and was not kept.)
test('forwarder: every payload in the outbox, one stored without a PubAck too, reaches the hub once, in order', async () => {
  await using hub = await startNatsServer({ domain: 'hub', leafListen: true });
  await using leaf = await startNatsServer({ domain: 'edge-f1', leafRemotes: [hub.leafUrl as string] });
  const hubNc = await connect({ servers: hub.url });
  const nc = await connect({ servers: leaf.url });
  const paySubject = subjects.payload('ns', 'f1');
  try {
    await (await jetstreamManager(hubNc)).streams.add({ name: 'HS_PAYLOADS', subjects: ['hs.pay.>'] });
    const publisher = new JetStreamPublisher(nc, { timeoutMs: 5000 });
    const outbox = await Outbox.open(nc, 'edge-f1', 'ns', 'f1', { maxMessages: 10000, maxBytes: 1 << 26 }, publisher);
    const forwarder = new Forwarder(nc, 'edge-f1', outbox, publisher, paySubject, pino({ level: 'silent' }));
    forwarder.start();
    const enc = new EnvelopeEncoder({ origin: 'test', namespace: 'ns', edgeId: 'f1' });
    const payload = (n: number) => ({
      id: `p${n}`,
      data: enc.encode({
        id: `p${n}`,
        topic: '',
        direction: Direction.Up,
        timeUnixMs: Date.now(),
        contentType: '',
        payload: new Uint8Array([n & 255]),
      }),
    });
    const append = (from: number, to: number) =>
      Promise.all(
        Array.from({ length: to - from + 1 }, (_, i) => {
          const p = payload(from + i);
          return outbox.append(p.data, p.id);
        }),
      );
    await append(1, 50);
    // Stored, but the Outbox never hears of it (as when its PubAck is lost): the live path sees a gap after it.
    const lost = payload(51);
    await jetstream(nc, { domain: 'edge-f1' }).publish(outbox.subject, lost.data, { msgID: lost.id });
    await append(52, 100);
    const hubJsm = await jetstreamManager(hubNc);
    await waitFor(async () => (await hubJsm.streams.info('HS_PAYLOADS')).state.messages >= 100, {
      message: 'the hub did not get 100 payloads',
    });
    await waitFor(() => outbox.pending === 0, { message: `outbox pending ${outbox.pending}` });
    const ids: string[] = [];
    const seqs: number[] = [];
    const consumer = await jetstream(hubNc).consumers.get('HS_PAYLOADS');
    const it = await consumer.fetch({ max_messages: 200, expires: 2000 });
    for await (const m of it) {
      const env = decodeEnvelope(m.data, { kind: 'payload' });
      ids.push(env.id);
      seqs.push(env.sequence ?? 0);
      if (ids.length === 100) break;
    }
    assert.deepEqual(
      ids,
      Array.from({ length: 100 }, (_, i) => `p${i + 1}`),
      'every payload once, in outbox order',
    );
    assert.deepEqual(
      seqs,
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    assert.equal((await hubJsm.streams.info('HS_PAYLOADS')).state.messages, 100, 'no copy at the hub');
    await forwarder.stop();
    publisher.close();
  } finally {
    await nc.close();
    await hubNc.close();
  }
});
