import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostedPlugin } from '@hubspoke/runtime';
import { PayloadRoutes } from './offer.js';

const receiver = (name: string, payloadTypes?: unknown): HostedPlugin =>
  ({
    name,
    plugin: { acceptEdgePayload: async () => true, ...(payloadTypes === undefined ? {} : { payloadTypes }) },
  }) as unknown as HostedPlugin;

const names = (l: readonly HostedPlugin[]) => l.map((h) => h.name);

test('PayloadRoutes: a listed type goes only to the receivers that list it, in load order', () => {
  const routes = new PayloadRoutes([
    receiver('all-1'),
    receiver('usage-1', ['usage']),
    receiver('all-2'),
    receiver('usage-2', ['usage', 'audit']),
  ]);
  assert.deepEqual(names(routes.for('usage')), ['usage-1', 'usage-2']);
  assert.deepEqual(names(routes.for('audit')), ['usage-2']);
  assert.deepEqual(names(routes.for('other')), ['all-1', 'all-2'], 'a type nobody lists: the receivers listing none');
  assert.deepEqual(names(routes.for(undefined)), ['all-1', 'all-2'], 'no type');
  assert.deepEqual(names(routes.receivers), ['all-1', 'usage-1', 'all-2', 'usage-2']);
});

test('PayloadRoutes: an empty list means none; with only typed receivers, other payloads have nobody', () => {
  assert.deepEqual(names(new PayloadRoutes([receiver('r', [])]).for('x')), ['r']);
  const typed = new PayloadRoutes([receiver('telemetry', ['hs.gateway.telemetry'])]);
  assert.deepEqual(names(typed.for('usage')), []);
  assert.deepEqual(names(typed.for('hs.gateway.telemetry')), ['telemetry']);
});

test('PayloadRoutes: a bad payloadTypes is a coded error naming the plugin and the value', () => {
  for (const bad of ['usage', [''], [42], {}, ['x'.repeat(257)]]) {
    assert.throws(
      () => new PayloadRoutes([receiver('odd-one', bad)]),
      (err: Error & { code?: string }) =>
        err.code === 'HS_ERR_PLUGIN' && /plugin odd-one: payloadTypes must be an array/.test(err.message),
      JSON.stringify(bad),
    );
  }
});
