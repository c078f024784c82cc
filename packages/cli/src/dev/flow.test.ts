import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Direction, type Event } from '@hubspoke/sdk';
import { describeFlow, formatFlow } from './flow.js';

function ev(over: Partial<Event>): Event {
  return {
    id: 'id-1',
    topic: 'cache.miss',
    origin: 'plugin:cache-edge@edge-eu-1',
    dir: Direction.Local,
    payload: { key: 'user:42' },
    raw: new Uint8Array(),
    contentType: 'application/json',
    metadata: {},
    timestamp: new Date(),
    receivedAt: new Date(2024, 0, 1, 12, 0, 1, 123),
    ...over,
  };
}

test('an Up event is shown where it arrives: on the control plane', () => {
  const up = ev({ namespace: 'eu', edgeId: 'edge-eu-1' });
  const f = describeFlow('control', up);
  assert.equal(f?.kind, 'up');
  assert.equal(formatFlow(f!), '12:00:01.123  edge-eu-1 ──up──▶ control          cache.miss        {"key":"user:42"}');
  assert.equal(describeFlow('edge-eu-1', ev({ dir: Direction.Up })), undefined, "the edge's own copy is not shown");
});

test('a Down event is shown on each edge that receives it, with its target', () => {
  const base = { topic: 'cache.invalidate', origin: 'plugin:cache-control@control' };
  assert.match(
    formatFlow(describeFlow('edge-eu-1', ev({ ...base, namespace: 'eu' }))!),
    /control ──down\(eu\)──▶ edge-eu-1/,
  );
  assert.match(formatFlow(describeFlow('edge-us-1', ev(base))!), /control ──down\(all\)──▶ edge-us-1/);
  const one = ev({ ...base, namespace: 'us', edgeId: 'edge-us-1' });
  assert.match(formatFlow(describeFlow('edge-us-1', one)!), /down\(us\/edge-us-1\)/);
  assert.equal(describeFlow('control', ev({ ...base, dir: Direction.Down })), undefined);
});

test("a node's own Local events are shown as local; long payloads are cut", () => {
  const local = ev({ origin: 'plugin:x@edge-eu-1', topic: 'tick', payload: { s: 'x'.repeat(300) } });
  const line = formatFlow(describeFlow('edge-eu-1', local)!);
  assert.match(line, /edge-eu-1 ··local··/);
  assert.ok(line.endsWith('…'));
});
