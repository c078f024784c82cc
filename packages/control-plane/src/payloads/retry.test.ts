import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Result } from './pipeline.js';
import { retryStep } from './retry.js';
import { delivery } from './test-delivery.js';

const hooks = (log: string[], stopping = () => false) => ({
  stopping,
  sleep: async (ms: number) => {
    log.push(`sleep ${ms}`);
  },
  onRetry: (i: { deliveryCount: number }) => log.push(`retry after ${i.deliveryCount}`),
});

test('retryStep: each offer recorded before it is made, backing off, until maxDeliveries; then the rejection goes out', async () => {
  const log: string[] = [];
  const offers: number[] = [];
  const counts: number[] = [];
  const h = retryStep(
    { maxDeliveries: 3, backoffInitialMs: 10, backoffMaxMs: 15 },
    hooks(log),
  )(async (d) => {
    counts.push(d.nextOffer);
    return { kind: 'reject', reason: 'boom', plugin: 'p', attempts: d.nextOffer, retry: true };
  });
  const r = await h(delivery(new Uint8Array(), 1, offers));
  assert.deepEqual(offers, [1, 2, 3], 'beforeOffer with each deliveryCount');
  assert.deepEqual(counts, [1, 2, 3]);
  assert.deepEqual(log, ['retry after 1', 'sleep 10', 'retry after 2', 'sleep 15']);
  assert.deepEqual(r, { kind: 'reject', reason: 'boom', plugin: 'p', attempts: 3, retry: false });
});

test('retryStep: starts at the delivery count it is given (a payload a dead replica may have offered)', async () => {
  const offers: number[] = [];
  const h = retryStep(
    { maxDeliveries: 5, backoffInitialMs: 1, backoffMaxMs: 1 },
    hooks([]),
  )(async (d) => ({
    kind: 'handled',
    plugin: 'p',
    deliveryCount: d.nextOffer,
  }));
  const d = delivery(new Uint8Array(), 1, offers);
  d.nextOffer = 2;
  assert.deepEqual(await h(d), { kind: 'handled', plugin: 'p', deliveryCount: 2 });
  assert.deepEqual(offers, [2]);
});

test('retryStep: a rejection without retry, a stop, and a lost edge (beforeOffer rejects) end at once', async () => {
  let inner: Result = { kind: 'reject', reason: 'nobody', plugin: '', attempts: 1 };
  const h = retryStep({ maxDeliveries: 5, backoffInitialMs: 1, backoffMaxMs: 1 }, hooks([]))(async () => inner);
  assert.deepEqual(await h(delivery(new Uint8Array())), inner);
  inner = { kind: 'reject', reason: 'x', plugin: 'p', attempts: 1, retry: true };
  const stopped = retryStep(
    { maxDeliveries: 5, backoffInitialMs: 1, backoffMaxMs: 1 },
    hooks([], () => true),
  );
  assert.deepEqual(await stopped(async () => inner)(delivery(new Uint8Array())), { kind: 'stopped' });
  const lost = delivery(new Uint8Array());
  lost.beforeOffer = () => Promise.reject(new Error('another replica owns the edge'));
  assert.deepEqual(await h(lost), { kind: 'stopped' });
});
