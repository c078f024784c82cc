import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeTelemetry, encodeTelemetry, type TelemetryRecord } from '@hubspoke/runtime';
import type { ProxyLog } from '@hubspoke/sdk';
import { pino } from 'pino';
import { Breaker } from './breaker.js';
import { Telemetry } from './telemetry.js';

const rec = (i: number): { kind: 'log'; record: ProxyLog } => ({
  kind: 'log',
  record: {
    requestId: `r${i}`,
    route: 'x',
    method: 'GET',
    path: '/x',
    statusCode: 200,
    latencyMs: 1,
    requestBytes: 0,
    responseBytes: 0,
    edgeId: 'e',
    timestamp: new Date(1000 + i),
  },
});

function telemetry(send: (b: Uint8Array) => Promise<unknown>, queueSize = 1000) {
  return new Telemetry({
    hosted: [],
    breakerOf: () => new Breaker(5, 1000),
    hookTimeoutMs: 100,
    send: async (b) => {
      await send(b as Uint8Array);
      return { id: 'x', pending: 0 };
    },
    queueSize,
    batchSize: 10,
    flushMs: 5,
    maxBatchBytes: 100_000,
    log: pino({ level: 'silent' }),
  });
}

test('records leave in batches, each once, in order; a failed send is kept and tried again', async () => {
  const got: string[] = [];
  let fail = 2;
  const t = telemetry(async (b) => {
    if (fail-- > 0) throw new Error('hub away');
    for (const r of decodeTelemetry(b)) got.push((r.record as { requestId: string }).requestId);
  });
  for (let i = 0; i < 25; i++) t.emit(rec(i));
  const deadline = Date.now() + 5000;
  while (got.length < 25 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(
    got,
    [...Array(25).keys()].map((i) => `r${i}`),
  );
  assert.equal(t.counters.sent, 25);
  assert.equal(t.counters.dropped, 0);
  await t.close();
});

test('a full queue drops and counts, never blocks', async () => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const t = telemetry(() => held, 15);
  for (let i = 0; i < 40; i++) t.emit(rec(i));
  assert.equal(t.counters.records, 40);
  assert.equal(t.counters.dropped, 25);
  assert.equal(t.depth, 15);
  release();
  await t.close();
});

test('the wire keeps every field of every kind, timestamps as dates; anything else is refused', () => {
  const at = new Date(1234);
  const records: TelemetryRecord[] = [
    { ...rec(7) },
    { kind: 'log', record: { ...rec(8).record, appId: 'a', userId: 'u' } },
    {
      kind: 'analytics',
      record: {
        requestId: 'r',
        route: 'x',
        appId: 'a',
        model: 'm',
        promptTokens: 1,
        completionTokens: 2,
        totalTokens: 3,
        edgeId: 'e',
        timestamp: at,
      },
    },
    {
      kind: 'budget',
      record: {
        requestId: 'r',
        route: 'x',
        model: 'm',
        promptTokens: 1,
        completionTokens: 2,
        cost: 0.5,
        currency: 'EUR',
        edgeId: 'e',
        timestamp: at,
      },
    },
  ];
  assert.deepEqual(decodeTelemetry(encodeTelemetry(records)), records);
  const bad = (s: string) => assert.throws(() => decodeTelemetry(new TextEncoder().encode(s)));
  bad('{"v":1,"records":[]}');
  bad('{"v":2,"records":[["nope"]]}');
  bad('{"v":2,"records":[["log","r",1]]}');
  bad('not json');
});
