import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedQueue } from './bounded-queue.js';

describe('BoundedQueue', () => {
  test('holds up to its capacity; push returns false when full', () => {
    const q = new BoundedQueue<number>(3);
    assert.equal(q.capacity, 3);
    assert.equal(q.length, 0);
    assert.equal(q.push(1), true);
    assert.equal(q.push(2), true);
    assert.equal(q.push(3), true);
    assert.equal(q.length, 3);
    assert.equal(q.push(4), false);
    assert.equal(q.length, 3);
    assert.deepEqual([q.shift(), q.shift(), q.shift()], [1, 2, 3]); // 4 was dropped, not queued
  });

  test('is FIFO, and shift on empty gives undefined', () => {
    const q = new BoundedQueue<string>(5);
    assert.equal(q.shift(), undefined);
    for (const s of ['a', 'b', 'c']) q.push(s);
    assert.equal(q.shift(), 'a');
    q.push('d');
    assert.deepEqual([q.shift(), q.shift(), q.shift(), q.shift()], ['b', 'c', 'd', undefined]);
    assert.equal(q.length, 0);
  });

  test('wraps around the ring many times without losing order', () => {
    const q = new BoundedQueue<number>(4);
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 100; round++) {
      while (q.push(next)) next++;
      assert.equal(q.length, 4);
      // Take a varying number out, so the head moves around every slot.
      for (let i = 0; i < (round % 4) + 1; i++) assert.equal(q.shift(), expected++);
    }
    while (q.length) assert.equal(q.shift(), expected++);
    assert.equal(expected, next);
  });

  test('a capacity of 1', () => {
    const q = new BoundedQueue<number>(1);
    assert.equal(q.push(1), true);
    assert.equal(q.push(2), false);
    assert.equal(q.shift(), 1);
    assert.equal(q.push(3), true);
    assert.equal(q.shift(), 3);
  });

  test('clear empties it; it is usable again from any head position', () => {
    const q = new BoundedQueue<number>(3);
    q.push(1);
    q.push(2);
    q.shift();
    q.clear();
    assert.equal(q.length, 0);
    assert.equal(q.shift(), undefined);
    for (const n of [7, 8, 9]) assert.equal(q.push(n), true);
    assert.equal(q.push(10), false);
    assert.deepEqual([q.shift(), q.shift(), q.shift()], [7, 8, 9]);
  });

  test('does not keep references to items it has handed out', () => {
    const q = new BoundedQueue<object>(2);
    q.push({});
    q.shift();
    assert.deepEqual(Array.from((q as unknown as { items: unknown[] }).items), [undefined, undefined]);
  });

  test('undefined and falsy items are queued like any other', () => {
    const q = new BoundedQueue<number | undefined>(3);
    q.push(0);
    q.push(undefined);
    assert.equal(q.length, 2);
    assert.equal(q.shift(), 0);
    assert.equal(q.shift(), undefined);
    assert.equal(q.length, 0);
  });
});
