import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Direction } from '@hubspoke/sdk';
import { startFabric } from '../fixtures/fabric.js';
import { waitFor } from '../helpers/index.js';

test('subscriptions survive a restart of the nats-server, without being made again', async () => {
  await using f = await startFabric();
  const a = await f.eu.events.publish('before.restart', {}, Direction.Up);
  await waitFor(() => f.rec.control.events.some((e) => e.id === a));
  const subsBefore = f.control.node.bus.stats().length;

  await f.hub.kill('SIGKILL');
  await waitFor(() => !f.control.node.connection.connected && !f.eu.node.connection.connected, {
    message: 'nodes notice the outage',
  });
  await f.hub.restart();
  await waitFor(
    () => [f.control, f.eu, f.us].every((n) => n.node.connection.connected && n.node.connection.reconnects >= 1),
    { timeoutMs: 15000, message: 'every node reconnects' },
  );
  assert.equal(f.control.node.bus.stats().length, subsBefore, 'no subscription was made again');

  const up = await f.eu.events.publish('after.restart', { n: 1 }, Direction.Up);
  const down = await f.control.events.publish('after.restart', { n: 2 }, Direction.Down, { namespace: 'us' });
  await waitFor(() => f.rec.control.events.some((e) => e.id === up), { message: 'Up after reconnect' });
  await waitFor(() => f.rec.us.events.some((e) => e.id === down), { message: 'Down after reconnect' });
});
