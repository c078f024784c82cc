import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeEnvelope } from '@hubspoke/sdk';
import { advance, dealtThrough, dedupStep, seenBefore, type OutboxPosition } from './dedup.js';
import { delivery, payloadBytes } from './test-delivery.js';

const env = (sequence: number, epoch: string) =>
  decodeEnvelope(payloadBytes({ id: `p${sequence}` }, { sequence, epoch }), { kind: 'payload' });

test('seenBefore: at or below the position of the same outbox; the previous outbox too; no position never', () => {
  const pos: OutboxPosition = { epoch: 'b', seq: 10, prev: { epoch: 'a', seq: 500 } };
  assert.equal(seenBefore(pos, env(10, 'b')), true);
  assert.equal(seenBefore(pos, env(11, 'b')), false);
  assert.equal(seenBefore(pos, env(400, 'a')), true, 'a late copy from the outbox before');
  assert.equal(seenBefore(pos, env(1, 'c')), false, 'a new outbox starts again at 1');
  assert.equal(seenBefore(pos, decodeEnvelope(payloadBytes({ id: 'x' }), { kind: 'payload' })), false);
});

test('advance: moves forward only; a new outbox id makes the current one the previous', () => {
  const pos: OutboxPosition = { epoch: 'a', seq: 5 };
  assert.deepEqual(advance(pos, env(6, 'a')), { epoch: 'a', seq: 6 });
  assert.deepEqual(advance({ epoch: 'a', seq: 9 }, env(7, 'a')), { epoch: 'a', seq: 9 });
  assert.deepEqual(advance(pos, env(1, 'b')), { epoch: 'b', seq: 1, prev: { epoch: 'a', seq: 5 } });
  assert.deepEqual(advance({ epoch: '', seq: 0 }, env(1, 'b')), { epoch: 'b', seq: 1 });
});

test('dedupStep: a copy is dropped without reaching the next step; anything else moves the position, a stop does not', async () => {
  let pos: OutboxPosition = { epoch: 'a', seq: 3 };
  let dups = 0;
  let calls = 0;
  let result: 'event' | 'stopped' = 'event';
  const h = dedupStep(
    { get: () => pos, set: (p) => (pos = p) },
    () => dups++,
  )(async () => {
    calls++;
    return { kind: result };
  });
  const run = (seq: number) => {
    const d = delivery(payloadBytes({ id: `p${seq}` }, { sequence: seq, epoch: 'a' }));
    d.env = decodeEnvelope(d.data, { kind: 'payload' });
    return h(d);
  };
  assert.deepEqual(await run(3), { kind: 'duplicate' });
  assert.equal(dups, 1);
  assert.equal(calls, 0);
  await run(4);
  assert.equal(pos.seq, 4);
  result = 'stopped';
  await run(5);
  assert.equal(pos.seq, 4, 'a stopped delivery is not dealt with');
});

test('gaps: payloads the hub stored after later ones are offered when they come, not taken for copies', () => {
  // The hub stored outbox sequences 6..8 before 3..5 (publishes that met no responders, sent again).
  let pos: OutboxPosition = { epoch: 'a', seq: 2 };
  for (const s of [6, 7, 8]) pos = advance(pos, env(s, 'a'));
  assert.deepEqual(pos, { epoch: 'a', seq: 8, gaps: [[3, 5]] });
  assert.equal(dealtThrough(pos), 2, 'the edge may purge only up to the gap');
  for (const s of [3, 4, 5]) {
    assert.equal(seenBefore(pos, env(s, 'a')), false, `${s} is late, not a copy`);
    pos = advance(pos, env(s, 'a'));
  }
  assert.deepEqual(pos, { epoch: 'a', seq: 8 });
  assert.equal(dealtThrough(pos), 8);
  for (const s of [3, 5, 8]) assert.equal(seenBefore(pos, env(s, 'a')), true, `${s} again is a copy`);
  // The middle of a range comes first: the range splits.
  pos = advance(advance({ epoch: 'a', seq: 1 }, env(10, 'a')), env(5, 'a'));
  assert.deepEqual(pos.gaps, [
    [2, 4],
    [6, 9],
  ]);
});

test('gaps: a new outbox counts from 1; a jump past 4,096 is a new start, not a gap', () => {
  assert.deepEqual(advance({ epoch: 'a', seq: 9 }, env(4, 'b')), {
    epoch: 'b',
    seq: 4,
    gaps: [[1, 3]],
    prev: { epoch: 'a', seq: 9 },
  });
  assert.deepEqual(advance({ epoch: 'a', seq: 9 }, env(20_000, 'a')), { epoch: 'a', seq: 20_000 });
  assert.deepEqual(advance({ epoch: '', seq: 0 }, env(9_000, 'b')), { epoch: 'b', seq: 9_000 });
});
