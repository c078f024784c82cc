import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deadLetterStep, type DeadLetterInfo } from './dead-letters.js';
import type { Result } from './pipeline.js';
import { delivery } from './test-delivery.js';

test('deadLetterStep: a rejection is put in the dead-letter stream (retrying the write) and reported as dead-lettered', async () => {
  const put: [string, string, number, DeadLetterInfo][] = [];
  let failures = 1;
  const told: unknown[] = [];
  const step = deadLetterStep(
    {
      put: async (ns, edge, seq, _data, info) => {
        if (failures-- > 0) throw new Error('hub away');
        put.push([ns, edge, seq, info]);
      },
    },
    { stopping: () => false, sleep: async () => undefined, onDeadLetter: (i) => told.push(i) },
  );
  let inner: Result = { kind: 'reject', reason: 'nobody took it', plugin: '', attempts: 2 };
  const h = step(async () => inner);
  assert.deepEqual(await h(delivery(new Uint8Array([1]), 42)), {
    kind: 'dead-lettered',
    reason: 'nobody took it',
    plugin: '',
    attempts: 2,
  });
  assert.deepEqual(put, [['eu', 'e1', 42, { reason: 'nobody took it', plugin: '', attempts: 2 }]]);
  assert.equal(told.length, 1);
  inner = { kind: 'handled', plugin: 'p', deliveryCount: 1 };
  assert.deepEqual(await h(delivery(new Uint8Array())), inner, 'anything else passes through');
  assert.equal(put.length, 1);
});
