import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { fromCloudEvent, toCloudEvent, type CloudEvent } from './cloudevents.js';
import { Direction } from './direction.js';
import { CONTENT_TYPE_BYTES, CONTENT_TYPE_JSON, decodeEnvelope, encodeEnvelope, type Envelope } from './envelope.js';
import { ErrorCode } from './errors.js';

const utf8 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'utf8'));

function norm(e: Envelope): Envelope {
  return { ...e, metadata: { ...e.metadata }, payload: Uint8Array.from(e.payload) };
}

/** Through JSON text, as a CloudEvents tool would see it. */
function viaJson(ce: CloudEvent): CloudEvent {
  return JSON.parse(JSON.stringify(ce)) as CloudEvent;
}

function assertMalformed(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.equal((err as { code?: unknown }).code, ErrorCode.EnvelopeMalformed, String(err));
    assert.match((err as Error).message, re);
    return true;
  });
}

const BASE: Envelope = {
  id: 'evt-1',
  topic: 'cache.invalidate',
  direction: Direction.Up,
  origin: 'plugin:cache-sync@edge-1',
  namespace: 'eu',
  edgeId: 'edge-1',
  correlationId: 'corr-1',
  causationId: 'cause-1',
  timeUnixMs: Date.UTC(2026, 10, 27, 14, 58, 54, 123),
  metadata: { tenant: 'acme', 'x-ünïcode key': 'värde ✓', empty: '' },
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  contentType: CONTENT_TYPE_JSON,
  payload: utf8(JSON.stringify({ key: 'é', n: [1, 2.5, null], nested: { ok: true } })),
};

describe('CloudEvents: toCloudEvent', () => {
  test('maps every envelope field onto its attribute', () => {
    const ce = toCloudEvent(BASE);
    assert.deepEqual(ce, {
      specversion: '1.0',
      id: 'evt-1',
      source: 'plugin:cache-sync@edge-1',
      type: 'cache.invalidate',
      time: '2026-11-27T14:58:54.123Z',
      datacontenttype: 'application/json',
      data: { key: 'é', n: [1, 2.5, null], nested: { ok: true } },
      correlationid: 'corr-1',
      causationid: 'cause-1',
      traceparent: BASE.traceparent,
      hsdirection: 'up',
      hsnamespace: 'eu',
      hsedgeid: 'edge-1',
      hsmetadata: JSON.stringify(BASE.metadata),
    });
  });

  test('bytes go to data_base64, JSON to data', () => {
    const bytes = Uint8Array.of(0, 1, 2, 0xfe, 0xff);
    const ce = toCloudEvent({ ...BASE, contentType: CONTENT_TYPE_BYTES, payload: bytes });
    assert.equal(ce.data, undefined);
    assert.equal(ce.data_base64, 'AAEC/v8=');
    assert.equal(ce.datacontenttype, CONTENT_TYPE_BYTES);
  });

  test('empty strings, time 0, empty metadata and an empty payload leave their attributes out', () => {
    const ce = toCloudEvent({
      ...BASE,
      direction: Direction.Local,
      namespace: '',
      edgeId: '',
      correlationId: '',
      causationId: '',
      timeUnixMs: 0,
      metadata: {},
      traceparent: '',
      contentType: '',
      payload: new Uint8Array(0),
    });
    assert.deepEqual(ce, {
      specversion: '1.0',
      id: 'evt-1',
      source: BASE.origin,
      type: BASE.topic,
      hsdirection: 'local',
    });
  });

  test('every direction has its name', () => {
    assert.equal(toCloudEvent({ ...BASE, direction: Direction.Local }).hsdirection, 'local');
    assert.equal(toCloudEvent({ ...BASE, direction: Direction.Up }).hsdirection, 'up');
    assert.equal(toCloudEvent({ ...BASE, direction: Direction.Down }).hsdirection, 'down');
  });

  test('a JSON content type whose payload is not JSON goes to data_base64 instead of throwing', () => {
    const ce = toCloudEvent({ ...BASE, payload: utf8('{not json') });
    assert.equal(ce.data, undefined);
    assert.equal(Buffer.from(ce.data_base64 ?? '', 'base64').toString(), '{not json');
    assert.deepEqual(norm(fromCloudEvent(viaJson(ce))), norm({ ...BASE, payload: utf8('{not json') }));
  });

  test('JSON that would not come back byte for byte (spacing, big integers) goes to data_base64', () => {
    for (const text of ['{ "a": 1 }', '{"n":12345678901234567890}', '1.0', '"\\u00e9"']) {
      const e = { ...BASE, payload: utf8(text) };
      const ce = toCloudEvent(e);
      assert.equal(ce.data, undefined, text);
      assert.deepEqual(norm(fromCloudEvent(viaJson(ce))), norm(e), text);
    }
  });

  test('a time outside the range of RFC 3339 gives the coded error, not a RangeError', () => {
    assertMalformed(() => toCloudEvent({ ...BASE, timeUnixMs: Number.MAX_SAFE_INTEGER }), /outside the range/);
    // RFC 3339 stops at year 9999.
    const last = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    assert.equal(toCloudEvent({ ...BASE, timeUnixMs: last }).time, '9999-12-31T23:59:59.999Z');
    assert.equal(fromCloudEvent(toCloudEvent({ ...BASE, timeUnixMs: last })).timeUnixMs, last);
    assertMalformed(
      () => toCloudEvent({ ...BASE, timeUnixMs: last + 1 }),
      /outside the range of an RFC 3339 timestamp/,
    );
  });
});

describe('CloudEvents: fromCloudEvent ∘ toCloudEvent is the identity', () => {
  const cases: Array<[string, Envelope]> = [
    ['JSON payload → data', BASE],
    ['JSON scalar payloads', { ...BASE, payload: utf8('"a string"') }],
    ['JSON null payload', { ...BASE, payload: utf8('null') }],
    ['bytes → data_base64', { ...BASE, contentType: CONTENT_TYPE_BYTES, payload: Uint8Array.of(0, 255, 128, 10) }],
    ['bytes without a content type', { ...BASE, contentType: '', payload: Uint8Array.of(1, 2, 3) }],
    ['text content type', { ...BASE, contentType: 'text/plain; charset=utf-8', payload: utf8('héllo') }],
    ['empty payload', { ...BASE, payload: new Uint8Array(0) }],
    ['Down to one edge', { ...BASE, direction: Direction.Down, namespace: 'us', edgeId: 'edge-9' }],
    ['Down to all', { ...BASE, direction: Direction.Down, namespace: '', edgeId: '' }],
    [
      'Local, no ids, no metadata',
      {
        ...BASE,
        direction: Direction.Local,
        correlationId: '',
        causationId: '',
        traceparent: '',
        metadata: {},
        namespace: '',
        edgeId: '',
      },
    ],
    [
      'many metadata entries',
      { ...BASE, metadata: Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k.${i}`, `v=${i}`])) },
    ],
    ['edge payload (no topic)', { ...BASE, topic: '', contentType: CONTENT_TYPE_BYTES, payload: Uint8Array.of(9) }],
    ['time at epoch + 1 ms', { ...BASE, timeUnixMs: 1 }],
  ];
  for (const [name, env] of cases) {
    test(name, () => {
      assert.deepEqual(norm(fromCloudEvent(toCloudEvent(env))), norm(env));
      assert.deepEqual(norm(fromCloudEvent(viaJson(toCloudEvent(env)))), norm(env));
    });
  }

  test('envelope → CloudEvent → envelope → wire → envelope', () => {
    const back = fromCloudEvent(viaJson(toCloudEvent(decodeEnvelope(encodeEnvelope(BASE)))));
    assert.deepEqual(norm(decodeEnvelope(encodeEnvelope(back))), norm(BASE));
  });

  test('random envelopes (fast-check)', () => {
    const str = fc.string({ unit: 'binary', maxLength: 30 });
    const env = fc.record({
      id: fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }),
      topic: str,
      direction: fc.constantFrom(Direction.Local, Direction.Up, Direction.Down),
      origin: str,
      namespace: str,
      edgeId: str,
      correlationId: str,
      causationId: str,
      timeUnixMs: fc.integer({ min: 0, max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) }),
      metadata: fc.dictionary(str, str, { maxKeys: 8, noNullPrototype: true }),
      traceparent: str,
      contentType: fc.constantFrom('', CONTENT_TYPE_JSON, CONTENT_TYPE_BYTES),
      payload: fc.oneof(
        fc.uint8Array({ maxLength: 64 }),
        fc.jsonValue().map((v) => utf8(JSON.stringify(v) ?? 'null')),
      ),
    });
    fc.assert(
      fc.property(env, (e) => {
        assert.deepEqual(norm(fromCloudEvent(viaJson(toCloudEvent(e)))), norm(e));
      }),
      { numRuns: 300 },
    );
  });
});

describe('CloudEvents: fromCloudEvent from other tools', () => {
  const ce = (extra: Partial<CloudEvent>): CloudEvent => ({
    specversion: '1.0',
    id: 'x',
    source: 'urn:tool',
    type: 'a.b',
    ...extra,
  });

  test('a minimal CloudEvent maps onto a Local envelope with defaults', () => {
    assert.deepEqual(norm(fromCloudEvent(ce({}))), {
      id: 'x',
      topic: 'a.b',
      direction: Direction.Local,
      origin: 'urn:tool',
      namespace: '',
      edgeId: '',
      correlationId: '',
      causationId: '',
      timeUnixMs: 0,
      metadata: {},
      traceparent: '',
      contentType: '',
      payload: new Uint8Array(0),
    });
  });

  test('data without datacontenttype is JSON', () => {
    const e = fromCloudEvent(ce({ data: { a: [1, 'b'] } }));
    assert.equal(e.contentType, CONTENT_TYPE_JSON);
    assert.equal(Buffer.from(e.payload).toString(), '{"a":[1,"b"]}');
  });

  test('a string data of a text content type is the text itself, not a JSON string', () => {
    const e = fromCloudEvent(ce({ datacontenttype: 'text/plain', data: 'héllo' }));
    assert.equal(Buffer.from(e.payload).toString(), 'héllo');
    assert.equal(e.contentType, 'text/plain');
    // ...while for JSON content types (including +json) a string is a JSON value.
    for (const datacontenttype of ['application/json', 'application/cloudevents+json', 'text/json; charset=utf-8']) {
      assert.equal(Buffer.from(fromCloudEvent(ce({ datacontenttype, data: 'héllo' })).payload).toString(), '"héllo"');
    }
  });

  test('time with an offset or more than millisecond precision', () => {
    assert.equal(fromCloudEvent(ce({ time: '2026-01-01T01:00:00+01:00' })).timeUnixMs, Date.UTC(2026, 0, 1));
    assert.equal(
      fromCloudEvent(ce({ time: '2026-01-01T00:00:00.123456Z' })).timeUnixMs,
      Date.UTC(2026, 0, 1, 0, 0, 0, 123),
    );
  });

  test('bad specversion', () => {
    assertMalformed(() => fromCloudEvent({ ...ce({}), specversion: '0.3' as '1.0' }), /specversion "0.3" is not "1.0"/);
    assertMalformed(() => fromCloudEvent({ ...ce({}), specversion: undefined as unknown as '1.0' }), /specversion/);
  });

  test('missing id', () => {
    assertMalformed(() => fromCloudEvent(ce({ id: '' })), /id is missing/);
  });

  test('bad time', () => {
    for (const time of ['not a time', '2026-13-45T99:00:00Z', 'March 7, 2020', '2020', '2026-01-01', '1700000000000']) {
      assertMalformed(
        () => fromCloudEvent(ce({ time })),
        new RegExp(`time ${JSON.stringify(time)} is not an RFC 3339`),
      );
    }
  });

  test('bad hsdirection', () => {
    for (const hsdirection of ['sideways', 'UP', '1', '', 'constructor']) {
      assertMalformed(() => fromCloudEvent(ce({ hsdirection })), /hsdirection .* is not local, up or down/);
    }
  });

  test('bad hsmetadata: not JSON, not an object, a value not a string', () => {
    assertMalformed(() => fromCloudEvent(ce({ hsmetadata: '{bad' })), /hsmetadata is not a JSON object/);
    for (const hsmetadata of ['null', '[1,2]', '"text"', '5']) {
      assertMalformed(() => fromCloudEvent(ce({ hsmetadata })), /hsmetadata is not a JSON object/);
    }
    assertMalformed(() => fromCloudEvent(ce({ hsmetadata: '{"a":1}' })), /hsmetadata "a" is not a string/);
  });

  test('bad data_base64', () => {
    for (const data_base64 of ['not base64!', 'AAE', 'AA=A']) {
      assertMalformed(() => fromCloudEvent(ce({ data_base64 })), /data_base64 is not base64/);
    }
    assert.deepEqual(Array.from(fromCloudEvent(ce({ data_base64: '' })).payload), []);
  });
});
