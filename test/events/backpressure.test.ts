import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Direction } from '@hubspoke/sdk';
import { startFabric } from '../fixtures/fabric.js';
import { waitFor } from '../helpers/index.js';

test('a slow subscriber delays neither the publisher nor other subscribers; its overflow is counted', async () => {
  await using f = await startFabric({ queueSize: 16 });
  const svc = f.rec.control.services.events;
  let release!: () => void;
  const blocked = new Promise<void>((r) => (release = r));
  let slowCalls = 0;
  const fast: number[] = [];
  await svc.subscribe('load.*', async () => {
    slowCalls++;
    await blocked; // holds its subscription until the end of the test
  });
  await svc.subscribe('load.*', (ev) => void fast.push((ev.payload as { i: number }).i));
  const N = 500;
  const droppedBefore = f.control.node.counters.dropped;
  for (let i = 0; i < N; i++) await f.eu.events.publish('load.tick', { i }, Direction.Up);
  await waitFor(() => fast.length === N, { message: `fast subscriber got ${fast.length}/${N}` });
  assert.deepEqual(
    fast,
    Array.from({ length: N }, (_, i) => i),
    'the fast subscriber got all, in order',
  );
  assert.equal(slowCalls, 1, 'the slow handler is still on its first event');
  const dropped = f.control.node.counters.dropped - droppedBefore;
  assert.equal(dropped, N - 1 - 16, 'the slow queue holds 16; the rest is dropped and counted');
  const slow = f.control.node.bus.stats().find((s) => s.queued === 16);
  assert.ok(slow, 'the slow subscription shows its full queue');
  assert.equal(slow.dropped, dropped);
  release();
  await waitFor(() => slowCalls === 17, { message: 'the slow subscription drains its queue once released' });
});

test('a handler that throws is logged and isolated: later events and other subscribers go on', async () => {
  await using f = await startFabric();
  const svc = f.rec.us.services.events;
  const good: string[] = [];
  await svc.subscribe('boom', () => {
    throw new Error('plugin bug');
  });
  await svc.subscribe('boom', async () => Promise.reject(new Error('async plugin bug')));
  await svc.subscribe('boom', (ev) => void good.push(ev.id));
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push(await f.control.events.publish('boom', {}, Direction.Down));
  await waitFor(() => good.length === 3);
  assert.deepEqual(good, ids);
  await waitFor(() => f.us.node.counters.handlerErrors === 6, { message: 'each failure counted' });
});
