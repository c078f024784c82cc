import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_LIMITS } from '@hubspoke/sdk';
import { decodeStep } from './decode.js';
import { durableEventStep } from './durable-events.js';
import { delivery, payloadBytes } from './test-delivery.js';

test('decodeStep: undecodable, over-limit and another edge than the subject are rejected (for the dead letters)', async () => {
  let rejected = 0;
  const h = decodeStep(
    DEFAULT_LIMITS,
    () => rejected++,
  )(async (d) => ({
    kind: 'handled',
    plugin: d.env?.id ?? '',
    deliveryCount: 1,
  }));
  assert.deepEqual(await h(delivery(payloadBytes({ id: 'ok' }))), { kind: 'handled', plugin: 'ok', deliveryCount: 1 });
  const garbage = await h(delivery(new Uint8Array([0xff, 0xff, 0xff])));
  assert.equal(garbage.kind, 'reject');
  const metadata = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v']));
  const over = await h(delivery(payloadBytes({ id: 'm', metadata })));
  assert.ok(over.kind === 'reject' && /metadata has more than 32 entries/.test(over.reason), JSON.stringify(over));
  const other = await h(delivery(payloadBytes({ id: 'o', edgeId: 'e2' })));
  assert.ok(other.kind === 'reject' && /HS_ERR_ENVELOPE_MALFORMED.*eu\/e2, subject eu\/e1/.test(other.reason));
  assert.equal(rejected, 3);
});

test('durableEventStep: an event (it has a topic) goes to the subscribers, never to the steps inside', async () => {
  const delivered: string[] = [];
  let inner = 0;
  const h = durableEventStep((env) => delivered.push(env.topic))(async () => {
    inner++;
    return { kind: 'handled', plugin: 'p', deliveryCount: 1 };
  });
  const withTopic = decodeStep(DEFAULT_LIMITS, () => undefined)(h);
  assert.deepEqual(await withTopic(delivery(payloadBytes({ id: 'e', topic: 'orders.created' }))), { kind: 'event' });
  assert.deepEqual(delivered, ['orders.created']);
  assert.equal(inner, 0);
  await withTopic(delivery(payloadBytes({ id: 'p' })));
  assert.equal(inner, 1);
});
