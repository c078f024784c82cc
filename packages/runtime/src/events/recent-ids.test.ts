import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { RecentIds } from './recent-ids.js';

describe('RecentIds', () => {
  test('true the first time an id is seen, false for a duplicate', () => {
    const r = new RecentIds(10);
    assert.equal(r.add('a'), true);
    assert.equal(r.add('b'), true);
    assert.equal(r.add('a'), false);
    assert.equal(r.add('b'), false);
    assert.equal(r.add('c'), true);
  });

  test('forgets the oldest id once above capacity', () => {
    const r = new RecentIds(3);
    for (const id of ['a', 'b', 'c']) assert.equal(r.add(id), true);
    assert.equal(r.add('d'), true); // evicts a
    assert.equal(r.add('b'), false);
    assert.equal(r.add('c'), false);
    assert.equal(r.add('d'), false);
    assert.equal(r.add('a'), true); // a was forgotten; now evicts b
    assert.equal(r.add('b'), true); // evicts c
    assert.equal(r.add('d'), false);
    assert.equal(r.add('a'), false);
  });

  test('a duplicate does not refresh an id (eviction is by first sight)', () => {
    const r = new RecentIds(2);
    r.add('a');
    r.add('b');
    assert.equal(r.add('a'), false);
    r.add('c'); // evicts a, the oldest first seen, even though it was offered again
    assert.equal(r.add('b'), false);
    assert.equal(r.add('a'), true);
  });

  test('remembers exactly the last `capacity` ids over a long stream', () => {
    const cap = 100;
    const r = new RecentIds(cap);
    for (let i = 0; i < 1000; i++) assert.equal(r.add(`id-${i}`), true);
    for (let i = 1000 - cap; i < 1000; i++) assert.equal(r.add(`id-${i}`), false, `id-${i} should be remembered`);
    assert.equal(r.add(`id-${1000 - cap - 1}`), true);
  });

  test('the default capacity is 16384', () => {
    const r = new RecentIds();
    for (let i = 0; i < 16384; i++) r.add(String(i));
    assert.equal(r.add('0'), false);
    r.add('new');
    assert.equal(r.add('0'), true);
  });
});
