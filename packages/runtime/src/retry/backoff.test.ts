import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Backoff, backoffDelay } from './backoff.js';

describe('backoff', () => {
  test('doubles from the initial delay up to the cap, and starts again after reset', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000 });
    assert.deepEqual(
      Array.from({ length: 7 }, () => b.next()),
      [100, 200, 400, 800, 1000, 1000, 1000],
    );
    assert.equal(b.peek(), 1000);
    b.reset();
    assert.equal(b.next(), 100);
  });

  test('backoffDelay: the delay of attempt n, with a factor, never above the cap nor NaN', () => {
    const o = { initialMs: 100, maxMs: 5000 };
    assert.equal(backoffDelay(0, o), 100);
    assert.equal(backoffDelay(4, o), 1600);
    assert.equal(backoffDelay(6, o), 5000);
    assert.equal(backoffDelay(10_000, o), 5000, 'huge attempt counts stay at the cap');
    assert.equal(backoffDelay(-3, o), 100, 'a negative attempt is the first');
    assert.equal(backoffDelay(2, { initialMs: 10, maxMs: 1000, factor: 3 }), 90);
  });

  test('wait() resolves at once when its signal aborts', async () => {
    const b = new Backoff({ initialMs: 60_000, maxMs: 60_000 });
    const ac = new AbortController();
    const started = Date.now();
    const waiting = b.wait(ac.signal);
    ac.abort();
    await waiting;
    assert.ok(Date.now() - started < 30_000, 'did not wait the minute');
  });
});
