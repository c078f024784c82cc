import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeTelemetry, encodeTelemetry, type TelemetryRecord } from './telemetry-wire.js';

const at = new Date(1700000000123);
const records: TelemetryRecord[] = [
  {
    kind: 'log',
    record: {
      requestId: 'r1',
      route: 'chat',
      method: 'POST',
      path: '/v1/chat',
      statusCode: 200,
      latencyMs: 12.346,
      requestBytes: 10,
      responseBytes: 20,
      edgeId: 'e1',
      timestamp: at,
    },
  },
  {
    kind: 'log',
    record: {
      requestId: 'r2',
      route: 'chat',
      method: 'GET',
      path: '/x',
      statusCode: 502,
      appId: 'app',
      userId: 'u',
      latencyMs: 1,
      requestBytes: 0,
      responseBytes: 0,
      edgeId: 'e1',
      timestamp: at,
    },
  },
  {
    kind: 'analytics',
    record: {
      requestId: 'r3',
      route: 'chat',
      appId: 'app',
      model: 'm',
      promptTokens: 1,
      completionTokens: 2,
      totalTokens: 3,
      edgeId: 'e1',
      timestamp: at,
    },
  },
  {
    kind: 'budget',
    record: {
      requestId: 'r4',
      route: 'chat',
      model: 'm',
      promptTokens: 1,
      completionTokens: 2,
      cost: 0.25,
      currency: 'EUR',
      edgeId: 'e1',
      timestamp: at,
    },
  },
];

// The bytes of version 2 as edges already send them: control planes of either side of an upgrade read them.
const WIRE =
  '{"v":2,"records":[' +
  '["log","r1","chat","POST","/v1/chat",200,null,null,12.346,10,20,"e1",1700000000123],' +
  '["log","r2","chat","GET","/x",502,"app","u",1,0,0,"e1",1700000000123],' +
  '["analytics","r3","chat","app","m",1,2,3,"e1",1700000000123],' +
  '["budget","r4","chat",null,"m",1,2,0.25,"EUR","e1",1700000000123]]}';

const bytes = (s: string) => new TextEncoder().encode(s);

test('version 2 on the wire: the same bytes out, the same records in (fields in order, absent ones left out)', () => {
  assert.equal(new TextDecoder().decode(encodeTelemetry(records)), WIRE);
  const got = decodeTelemetry(bytes(WIRE));
  assert.deepEqual(got, records);
  assert.deepEqual(
    got.map((r) => Object.keys(r.record)),
    records.map((r) => Object.keys(r.record)),
  );
});

test('a latency is sent to the microsecond', () => {
  const log = { ...(records[0] as { kind: 'log'; record: object }).record, latencyMs: 12.3456789 };
  const [back] = decodeTelemetry(encodeTelemetry([{ kind: 'log', record: log } as TelemetryRecord]));
  assert.equal((back?.record as { latencyMs: number }).latencyMs, 12.346);
});

test('a record that does not fit its kind is refused, naming the field', () => {
  const bad = (records: string, why: RegExp) =>
    assert.throws(() => decodeTelemetry(bytes(`{"v":2,"records":[${records}]}`)), why);
  bad('["budget","r","x",null,"m",1,2,"0.5","EUR","e",1]', /^Error: cost is not a number$/);
  bad('["analytics","r","x",7,"m",1,2,3,"e",1]', /^Error: appId is not a string$/);
  bad('["log","r","x","GET","/x",200,null,null,1,0,0,"e"]', /^Error: timestamp is not a number$/);
  bad('["log","r",1]', /^Error: route is not a string$/);
  bad('["nope"]', /unknown record kind nope/);
  bad('{}', /not an array/);
  assert.throws(() => decodeTelemetry(bytes('{"v":1,"records":[]}')), /not a telemetry batch of version 2/);
});
