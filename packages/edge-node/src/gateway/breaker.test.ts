import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HubspokeError } from '@hubspoke/sdk';
import { Breaker } from './breaker.js';
import { callHook, type Hook } from './call.js';

const ctx = {} as Hook<number, number>['ctx'];

test('the breaker opens after N failures in a row, refuses while open, lets one trial through after', async () => {
  const b = new Breaker(2, 50);
  b.failure();
  assert.ok(b.allow());
  b.success();
  b.failure();
  b.failure();
  assert.equal(b.allow(), false);
  assert.equal(b.refused, 1);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(b.allow(), true, 'one trial after openMs');
  assert.equal(b.allow(), false, 'only one');
  b.success();
  assert.ok(b.allow());
});

test('callHook: answers, throws and missed deadlines, each coded HS_ERR_PLUGIN naming the plugin and step', async () => {
  const hook = (fn: Hook<number, number>['fn']): Hook<number, number> => ({
    plugin: 'p',
    ctx,
    breaker: new Breaker(5, 1000),
    fn,
  });
  assert.equal(
    await callHook(
      hook((_c, x) => x + 1),
      'step',
      1,
      50,
    ),
    2,
  );
  assert.equal(
    await callHook(
      hook(async (_c, x) => x + 2),
      'step',
      1,
      50,
    ),
    3,
  );
  await assert.rejects(
    callHook(
      hook(() => {
        throw new Error('boom');
      }),
      'handlePreAuth',
      1,
      50,
    ),
    (e: HubspokeError) => e.code === 'HS_ERR_PLUGIN' && /plugin p: handlePreAuth failed: boom/.test(e.message),
  );
  await assert.rejects(
    callHook(
      hook(() => new Promise(() => undefined)),
      'handlePostAuth',
      1,
      20,
    ),
    /HS_ERR_PLUGIN: plugin p: handlePostAuth did not answer within 20 ms/,
  );
});
