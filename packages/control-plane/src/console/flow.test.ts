import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FlowSampler } from './flow.js';

describe('FlowSampler', () => {
  test('turns rising counters into per-second rates, and latencies into a mean and a maximum per sample', () => {
    const events = { received: 0, sent: 0 };
    const dispatch = { handled: 0, offered: 0, deadLettered: 0 };
    const f = new FlowSampler({ events, dispatch }, 3);
    const t0 = Date.now();
    events.received = 50;
    events.sent = 20;
    dispatch.handled = 10;
    dispatch.offered = 12;
    dispatch.deadLettered = 1;
    f.latency(0.002);
    f.latency(0.004);
    const s = f.sample(t0 + 2000);
    assert.equal(s.up, 25);
    assert.equal(s.down, 10);
    assert.equal(s.payloads, 5);
    assert.equal(s.offers, 6);
    assert.equal(s.deadLetters, 0.5);
    assert.equal(s.latencyMs, 3);
    assert.equal(s.latencyMaxMs, 4);
    const next = f.sample(t0 + 3000);
    assert.deepEqual([next.up, next.latencyMs, next.latencyMaxMs], [0, 0, 0], 'each sample starts afresh');
  });

  test('keeps only the last `keep` samples, oldest first', () => {
    const f = new FlowSampler(
      { events: { received: 0, sent: 0 }, dispatch: { handled: 0, offered: 0, deadLettered: 0 } },
      3,
    );
    const t0 = Date.now();
    for (let i = 1; i <= 5; i++) f.sample(t0 + i * 1000);
    assert.deepEqual(
      f.history().map((s) => s.t),
      [t0 + 3000, t0 + 4000, t0 + 5000],
    );
  });
});
