import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jetstream, jetstreamManager, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { connect, headers } from '@nats-io/transport-node';
import { streamSourceOf } from '../../packages/control-plane/src/payloads/source-header.js';
import { startNatsServer } from '../helpers/index.js';

// The dispatcher reads `Nats-Stream-Source` from a message's raw header bytes (nats.js decoding every header was 9%
// of a control plane's time): on real messages from a real server it must agree with nats.js's own decoding.
test('the source header read from raw bytes agrees with nats.js, decoys and other headers included', async () => {
  await using hub = await startNatsServer({ domain: 'hub' });
  const nc = await connect({ servers: hub.url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'S', subjects: ['s.>'] });
    const js = jetstream(nc);
    const cases: [string, Record<string, string>][] = [
      ['none', {}],
      ['id only', { 'Nats-Msg-Id': 'a1' }],
      ['source', { 'Nats-Msg-Id': 'a2', 'Nats-Stream-Source': 'HS_OUTBOX_ab:yjq4XBlO 7' }],
      [
        'decoys first',
        { 'X-Nats-Stream-Source': 'fake 1', 'Nats-Stream-Sources': 'fake 2', 'Nats-Stream-Source': 'real 3' },
      ],
      ['value with colons', { 'Nats-Stream-Source': 'HS_OUTBOX_cd:Q:9 12' }],
    ];
    for (const [i, [, h]] of cases.entries()) {
      const hdrs = headers();
      for (const [k, v] of Object.entries(h)) hdrs.set(k, v);
      await js.publish(`s.${i}`, new Uint8Array([i]), Object.keys(h).length ? { headers: hdrs } : {});
    }
    const consumer = await js.consumers.get('S', { deliver_policy: DeliverPolicy.All });
    const got: JsMsg[] = [];
    const messages = await consumer.fetch({ max_messages: cases.length });
    for await (const m of messages) got.push(m);
    assert.equal(got.length, cases.length);
    for (const [i, m] of got.entries()) {
      const fast = streamSourceOf(m);
      assert.equal(fast, m.headers?.get('Nats-Stream-Source') ?? '', cases[i]?.[0]);
    }
    assert.equal(streamSourceOf(got[2] as JsMsg), 'HS_OUTBOX_ab:yjq4XBlO 7');
    assert.equal(streamSourceOf(got[3] as JsMsg), 'real 3');
    // Without nats.js's internals, it falls back to its decoding.
    const fake = { headers: (got[2] as JsMsg).headers } as unknown as JsMsg;
    assert.equal(streamSourceOf(fake), 'HS_OUTBOX_ab:yjq4XBlO 7');
  } finally {
    await nc.close();
  }
});
