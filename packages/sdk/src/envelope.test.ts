import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { Direction } from './direction.js';
import {
  CONTENT_TYPE_BYTES,
  CONTENT_TYPE_JSON,
  EnvelopeEncoder,
  appendEnvelopeFields,
  decodeEnvelope,
  encodeEnvelope,
  type Envelope,
  type EnvelopeMessage,
} from './envelope.js';
import { ErrorCode } from './errors.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';

const PROTO = fileURLToPath(new URL('../../../proto/hubspoke/v1/envelope.proto', import.meta.url));
const root = protobuf.loadSync(PROTO);
const PbEnvelope = root.lookupType('hubspoke.v1.Envelope');
const MALFORMED = ErrorCode.EnvelopeMalformed;

/** A copy with the payload as a plain Uint8Array, so Buffer and Uint8Array compare equal. */
function norm(e: Envelope): Envelope {
  return { ...e, metadata: { ...e.metadata }, payload: Uint8Array.from(e.payload) };
}

/** Decodes with protobufjs, every field present, int64 as number, enums as numbers. */
function pbDecode(bytes: Uint8Array): Envelope {
  const msg = PbEnvelope.decode(bytes);
  const o = PbEnvelope.toObject(msg, { longs: Number, enums: Number, defaults: true }) as Envelope;
  // Fields 14-17 (sequence, epoch, replay) are optional in Envelope: absent, not defaulted, when not on the wire.
  for (const k of ['sequence', 'sequenceEpoch', 'replayOf', 'replayAtUnixMs'] as const) if (!o[k]) delete o[k];
  return norm(o);
}

/** Encodes with protobufjs (fields left out when they are the proto3 default). */
function pbEncode(e: Partial<Envelope>): Uint8Array {
  const err = PbEnvelope.verify(e);
  assert.equal(err, null);
  return PbEnvelope.encode(PbEnvelope.fromObject(e)).finish();
}

/** Asserts that `fn` throws HS_ERR_ENVELOPE_MALFORMED with a message matching `re`. */
function assertMalformed(fn: () => unknown, re?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof Error, `not an Error: ${String(err)}`);
    assert.equal((err as { code?: unknown }).code, MALFORMED, `wrong error: ${err.name}: ${err.message}`);
    assert.match(err.message, /^HS_ERR_ENVELOPE_MALFORMED: /);
    if (re) assert.match(err.message, re);
    return true;
  });
}

const FULL: Envelope = {
  id: '01JABCDEF-évènement-✓',
  topic: 'cache.invalidate',
  direction: Direction.Down,
  origin: 'plugin:cache-sync@control',
  namespace: 'eu-west',
  edgeId: 'edge-1',
  correlationId: 'corr-🚀-1',
  causationId: 'cause-日本語',
  timeUnixMs: 1_767_225_600_123,
  metadata: { tenant: 'acme', 'x-ünïcode-ключ': 'värde ✓ 値', 'emoji-🎉': '🎉🎉' },
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  contentType: CONTENT_TYPE_JSON,
  payload: Uint8Array.from(Buffer.from('{"key":"é","n":[1,2]}')),
};

const EMPTY_ENV: Envelope = {
  id: '',
  topic: '',
  direction: Direction.Local,
  origin: '',
  namespace: '',
  edgeId: '',
  correlationId: '',
  causationId: '',
  timeUnixMs: 0,
  metadata: {},
  traceparent: '',
  contentType: '',
  payload: new Uint8Array(0),
};

function message(e: Envelope): EnvelopeMessage {
  return {
    id: e.id,
    topic: e.topic,
    direction: e.direction,
    timeUnixMs: e.timeUnixMs,
    contentType: e.contentType,
    payload: e.payload,
    correlationId: e.correlationId,
    causationId: e.causationId,
    traceparent: e.traceparent,
    metadata: e.metadata,
  };
}

/** Byte offsets where a top-level field starts (and the end), found independently of the decoder under test. */
function fieldBoundaries(b: Uint8Array): number[] {
  const out = [0];
  const r = protobuf.Reader.create(b);
  while (r.pos < r.len) {
    const tag = r.uint32();
    r.skipType(tag & 7);
    out.push(r.pos);
  }
  return out;
}

/** The field numbers of the top-level fields, in wire order. */
function fieldNumbers(b: Uint8Array): number[] {
  const out: number[] = [];
  const r = protobuf.Reader.create(b);
  while (r.pos < r.len) {
    const tag = r.uint32();
    out.push(tag >>> 3);
    r.skipType(tag & 7);
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

const idField = (id = 'x'): Uint8Array => protobuf.Writer.create().uint32(0x0a).string(id).finish();
const topicField = (t = 't'): Uint8Array => protobuf.Writer.create().uint32(0x12).string(t).finish();

describe('envelope codec: round trip', () => {
  test('every field, unicode strings included, survives encode → decode', () => {
    const bytes = encodeEnvelope(FULL);
    assert.deepEqual(norm(decodeEnvelope(bytes)), norm(FULL));
  });

  test('a message with only an id and a topic decodes to the proto3 defaults', () => {
    const d = decodeEnvelope(encodeEnvelope({ id: 'a', topic: 'b' }));
    assert.deepEqual(norm(d), { ...EMPTY_ENV, id: 'a', topic: 'b' });
  });

  test('empty payload decodes to an empty Uint8Array, with or without a content type', () => {
    for (const contentType of ['', CONTENT_TYPE_BYTES, CONTENT_TYPE_JSON]) {
      const d = decodeEnvelope(encodeEnvelope({ id: 'a', topic: 'b', contentType, payload: new Uint8Array(0) }));
      assert.ok(d.payload instanceof Uint8Array);
      assert.equal(d.payload.length, 0);
      assert.equal(d.contentType, contentType);
    }
  });

  test('every direction round-trips', () => {
    for (const direction of [Direction.Local, Direction.Up, Direction.Down]) {
      assert.equal(decodeEnvelope(encodeEnvelope({ id: 'a', topic: 'b', direction })).direction, direction);
    }
  });

  test('metadata with many entries (the limit, 32) and empty values round-trips in order', () => {
    const metadata: Record<string, string> = {};
    for (let i = 0; i < DEFAULT_LIMITS.maxMetadataEntries; i++) metadata[`k${i}`] = i % 3 === 0 ? '' : `v${i}-ü`;
    const d = decodeEnvelope(encodeEnvelope({ id: 'a', topic: 'b', metadata }));
    assert.deepEqual(d.metadata, metadata);
    assert.deepEqual(Object.keys(d.metadata), Object.keys(metadata));
  });

  test('metadata keys and values at their byte limits (multi-byte characters) round-trip', () => {
    const key = 'é'.repeat(DEFAULT_LIMITS.maxMetadataKeyBytes / 2); // 2 bytes each
    const value = '€'.repeat(Math.floor(DEFAULT_LIMITS.maxMetadataValueBytes / 3)); // 3 bytes each
    const d = decodeEnvelope(encodeEnvelope({ id: 'a', topic: 'b', metadata: { [key]: value } }));
    assert.deepEqual(d.metadata, { [key]: value });
  });

  test('a metadata key "__proto__" is kept as an own entry, and does not change the prototype', () => {
    const metadata = JSON.parse('{"__proto__":"v","a":"b"}') as Record<string, string>;
    const bytes = encodeEnvelope({ id: 'a', topic: 'b', metadata });
    assert.deepEqual(pbDecode(bytes).metadata, metadata); // as protobufjs reads it
    const d = decodeEnvelope(bytes);
    assert.equal(Object.getPrototypeOf(d.metadata), Object.prototype);
    assert.deepEqual(Object.keys(d.metadata), ['__proto__', 'a']);
    assert.equal(Object.getOwnPropertyDescriptor(d.metadata, '__proto__')?.value, 'v');
  });

  test('large time values round-trip exactly, up to Number.MAX_SAFE_INTEGER', () => {
    for (const t of [
      1,
      127,
      128,
      16383,
      16384,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32,
      Date.now(),
      2 ** 40 + 7,
      2 ** 52 + 1,
      Number.MAX_SAFE_INTEGER,
    ]) {
      const d = decodeEnvelope(encodeEnvelope({ id: 'a', topic: 'b', timeUnixMs: t }));
      assert.equal(d.timeUnixMs, t, `time ${t}`);
    }
  });

  test('time 0 is left out (proto3 default) and decodes as 0', () => {
    const bytes = encodeEnvelope({ id: 'a', topic: 'b', timeUnixMs: 0 });
    assert.deepEqual(Array.from(bytes), [0x0a, 1, 0x61, 0x12, 1, 0x62]);
    assert.equal(decodeEnvelope(bytes).timeUnixMs, 0);
  });

  test('long strings (multi-byte varint lengths) and a 1 MiB payload round-trip', () => {
    const payload = new Uint8Array(DEFAULT_LIMITS.maxPayloadBytes);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
    const e = { ...FULL, id: 'i'.repeat(200), topic: 'a.'.repeat(100) + 'z', traceparent: 'ü'.repeat(5000), payload };
    assert.deepEqual(norm(decodeEnvelope(encodeEnvelope(e))), norm(e));
  });

  test('the decoded payload is a view of the input (no copy), at the right offset', () => {
    const inner = encodeEnvelope(FULL);
    const outer = new Uint8Array(inner.length + 10);
    outer.set(inner, 5);
    const view = outer.subarray(5, 5 + inner.length);
    const d = decodeEnvelope(view);
    assert.deepEqual(Uint8Array.from(d.payload), FULL.payload);
    assert.equal(d.payload.buffer, outer.buffer);
  });

  test('decoding a Buffer or a plain Uint8Array gives the same envelope', () => {
    const bytes = encodeEnvelope(FULL);
    assert.deepEqual(norm(decodeEnvelope(Uint8Array.from(bytes))), norm(decodeEnvelope(Buffer.from(bytes))));
  });
});

describe('envelope codec: EnvelopeEncoder', () => {
  const constants = { origin: 'plugin:p@control', namespace: 'eu', edgeId: 'edge-1' };

  test('encodes the node constants into every message', () => {
    const enc = new EnvelopeEncoder(constants);
    const d = decodeEnvelope(enc.encode(message({ ...FULL, origin: '', namespace: '', edgeId: '' })));
    assert.equal(d.origin, constants.origin);
    assert.equal(d.namespace, 'eu');
    assert.equal(d.edgeId, 'edge-1');
  });

  test('Down targeting: namespace and edgeId override the constants; "" means all; undefined keeps them', () => {
    const enc = new EnvelopeEncoder(constants);
    const cases: Array<[string | undefined, string | undefined, string, string]> = [
      [undefined, undefined, 'eu', 'edge-1'],
      ['us', undefined, 'us', 'edge-1'],
      [undefined, 'edge-9', 'eu', 'edge-9'],
      ['us', 'edge-9', 'us', 'edge-9'],
      ['', '', '', ''],
      ['', undefined, '', 'edge-1'],
      [undefined, '', 'eu', ''],
      ['eu', 'edge-1', 'eu', 'edge-1'],
    ];
    for (const [namespace, edgeId, wantNs, wantEdge] of cases) {
      const m = { ...message(FULL), namespace, edgeId };
      const bytes = enc.encode(m);
      const d = decodeEnvelope(bytes);
      assert.equal(d.namespace, wantNs, `namespace for ${String(namespace)}/${String(edgeId)}`);
      assert.equal(d.edgeId, wantEdge, `edge for ${String(namespace)}/${String(edgeId)}`);
      assert.equal(d.origin, constants.origin);
      // Same bytes as a fresh encoder whose constants are the target.
      const fresh = new EnvelopeEncoder({ origin: constants.origin, namespace: wantNs, edgeId: wantEdge });
      assert.deepEqual(Array.from(bytes), Array.from(fresh.encode(message(FULL))));
    }
  });

  test('an encoder without namespace/edge id encodes none, unless a message targets one', () => {
    const enc = new EnvelopeEncoder({ origin: 'plugin:p@control' });
    let d = decodeEnvelope(enc.encode(message(FULL)));
    assert.equal(d.namespace, '');
    assert.equal(d.edgeId, '');
    d = decodeEnvelope(enc.encode({ ...message(FULL), namespace: 'eu', edgeId: 'e' }));
    assert.equal(d.namespace, 'eu');
    assert.equal(d.edgeId, 'e');
  });

  test('cached prefixes and content types, reused across calls, give the bytes of a fresh encoder', () => {
    const enc = new EnvelopeEncoder(constants);
    const targets: Array<[string | undefined, string | undefined]> = [
      [undefined, undefined],
      ['us', 'e2'],
      ['', ''],
      ['us', 'e2'],
      [undefined, undefined],
      ['', ''],
    ];
    const cts = [CONTENT_TYPE_JSON, CONTENT_TYPE_BYTES, '', 'text/plain; charset=utf-8'];
    for (let round = 0; round < 3; round++) {
      for (const [namespace, edgeId] of targets) {
        for (const contentType of cts) {
          const m = { ...message(FULL), contentType, namespace, edgeId };
          const got = enc.encode(m);
          const fresh = new EnvelopeEncoder(constants).encode(m);
          assert.deepEqual(Array.from(got), Array.from(fresh));
          // Scribbling over an output must not change later outputs (cached prefixes are copied, not shared).
          got.fill(0xee);
        }
      }
    }
  });

  test('more than 1024 targets and more than 16 content types still encode correctly', () => {
    const enc = new EnvelopeEncoder(constants);
    for (let i = 0; i < 1100; i++) {
      const m = { ...message(FULL), namespace: `ns${i % 1050}`, edgeId: `e${i}`, contentType: `type/t${i % 40}` };
      const d = decodeEnvelope(enc.encode(m));
      assert.equal(d.namespace, `ns${i % 1050}`);
      assert.equal(d.edgeId, `e${i}`);
      assert.equal(d.contentType, `type/t${i % 40}`);
    }
  });

  test('encodeEnvelope gives the same bytes as an EnvelopeEncoder with the same constants', () => {
    const a = encodeEnvelope(FULL);
    const b = new EnvelopeEncoder({ origin: FULL.origin, namespace: FULL.namespace, edgeId: FULL.edgeId }).encode(
      message(FULL),
    );
    assert.deepEqual(Array.from(a), Array.from(b));
  });

  test('empty optional strings are left out of the wire form', () => {
    const e = { ...FULL, correlationId: '', causationId: '', traceparent: '', metadata: {} };
    const bytes = encodeEnvelope(e);
    assert.deepEqual(norm(decodeEnvelope(bytes)), norm(e));
    assert.deepEqual(fieldNumbers(bytes), [1, 2, 3, 4, 5, 6, 9, 12, 13]);
    const bare = encodeEnvelope({ id: 'a', topic: 'b', direction: Direction.Local, payload: new Uint8Array(0) });
    assert.deepEqual(fieldNumbers(bare), [1, 2]);
  });
});

describe('envelope codec: wire compatibility with protobufjs (proto/hubspoke/v1/envelope.proto)', () => {
  test('our bytes decode with protobufjs to the same values', () => {
    const samples: Envelope[] = [
      FULL,
      { ...EMPTY_ENV, id: 'only-id', topic: 't' },
      { ...FULL, direction: Direction.Up, timeUnixMs: Number.MAX_SAFE_INTEGER, metadata: { a: '', '': 'b' } },
      { ...FULL, direction: Direction.Local, payload: new Uint8Array(300).fill(7), contentType: CONTENT_TYPE_BYTES },
    ];
    for (const e of samples) {
      const bytes = encodeEnvelope(e);
      assert.deepEqual(pbDecode(bytes), norm(e));
    }
  });

  test('protobufjs bytes decode with ours to the same values', () => {
    const samples: Envelope[] = [
      FULL,
      { ...EMPTY_ENV, id: 'only-id', topic: 't' },
      { ...FULL, direction: Direction.Up, timeUnixMs: Number.MAX_SAFE_INTEGER, metadata: { a: '', '': 'b' } },
    ];
    for (const e of samples) {
      const bytes = pbEncode(e);
      assert.deepEqual(norm(decodeEnvelope(bytes)), norm(e));
    }
  });

  test('a message with every field set is byte-identical to protobufjs', () => {
    // Both write fields in number order; protobufjs always writes a map value, so no empty values here.
    assert.deepEqual(Array.from(encodeEnvelope(FULL)), Array.from(pbEncode(FULL)));
  });

  test('protobufjs defaults written explicitly (empty strings, direction 0, time 0) decode as absent', () => {
    const w = protobuf.Writer.create();
    w.uint32(0x0a).string('id').uint32(0x12).string('t').uint32(0x18).int32(0).uint32(0x22).string('');
    w.uint32(0x48).int64(0).uint32(0x6a).bytes(new Uint8Array(0));
    assert.deepEqual(norm(decodeEnvelope(w.finish())), { ...EMPTY_ENV, id: 'id', topic: 't' });
  });

  test('fields out of order and repeated scalars (last one wins) decode as protobuf says', () => {
    const w = protobuf.Writer.create();
    w.uint32(0x6a).bytes(Uint8Array.of(1, 2)).uint32(0x12).string('first').uint32(0x0a).string('id');
    w.uint32(0x12).string('second').uint32(0x18).int32(1).uint32(0x18).int32(2);
    w.uint32(0x52).fork().uint32(0x0a).string('k').uint32(0x12).string('v1').ldelim();
    w.uint32(0x52).fork().uint32(0x12).string('v2').uint32(0x0a).string('k').ldelim();
    const bytes = w.finish();
    const ours = norm(decodeEnvelope(bytes));
    assert.deepEqual(ours, pbDecode(bytes));
    assert.equal(ours.topic, 'second');
    assert.equal(ours.direction, Direction.Down);
    assert.deepEqual(ours.metadata, { k: 'v2' });
  });

  test('unknown fields (varint, length-delimited, fixed32, fixed64, large field numbers) are skipped', () => {
    const base = encodeEnvelope(FULL);
    const unknown = protobuf.Writer.create()
      .uint32((20 << 3) | 0)
      .uint64(Number.MAX_SAFE_INTEGER) // field 20, varint
      .uint32((20 << 3) | 0)
      .int64(-1) // field 20, 10-byte varint
      .uint32((21 << 3) | 2)
      .bytes(Uint8Array.of(0x0a, 0x03, 1, 2, 3)) // field 21, length-delimited (looks like an id)
      .uint32((22 << 3) | 5)
      .fixed32(0xdeadbeef) // field 22, fixed32
      .uint32((23 << 3) | 1)
      .fixed64(12345) // field 23, fixed64
      .uint32((536870911 << 3) | 2)
      .string('largest field number') // field 2^29-1
      .finish();
    // Appended, prepended, and in the middle (after the id and topic).
    const boundaries = fieldBoundaries(base);
    const mid = boundaries[2] as number;
    for (const bytes of [
      concat(base, unknown),
      concat(unknown, base),
      concat(base.subarray(0, mid), unknown, base.subarray(mid)),
    ]) {
      assert.deepEqual(norm(decodeEnvelope(bytes)), norm(FULL));
      assert.deepEqual(pbDecode(bytes), norm(FULL));
    }
  });

  test('an unknown field with a group wire type (3, 4) or an invalid one (6, 7) is malformed', () => {
    for (const wire of [3, 4, 6, 7]) {
      const bytes = concat(
        idField(),
        topicField(),
        protobuf.Writer.create()
          .uint32((20 << 3) | wire)
          .finish(),
        Uint8Array.of(0),
      );
      assertMalformed(() => decodeEnvelope(bytes), new RegExp(`unknown field 20 has unsupported wire type ${wire}`));
    }
  });
});

describe('envelope codec: malformed input → HS_ERR_ENVELOPE_MALFORMED', () => {
  test('every truncation point either throws the coded error or, on a field boundary, drops the later fields', () => {
    for (const e of [FULL, { ...FULL, payload: new Uint8Array(200).fill(9), timeUnixMs: Number.MAX_SAFE_INTEGER }]) {
      const bytes = encodeEnvelope(e);
      const boundaries = new Set(fieldBoundaries(bytes));
      const idEnd = fieldBoundaries(bytes)[1] as number;
      let decoded = 0;
      let refused = 0;
      for (let cut = 0; cut < bytes.length; cut++) {
        const prefix = bytes.subarray(0, cut);
        if (boundaries.has(cut) && cut >= idEnd) {
          // A cut between fields is a shorter, valid message: the fields before the cut, nothing after.
          assert.deepEqual(norm(decodeEnvelope(prefix, { kind: 'payload' })), pbDecode(prefix), `cut at ${cut}`);
          decoded++;
        } else {
          assertMalformed(() => decodeEnvelope(prefix, { kind: 'payload' }), /truncated|id is missing/);
          refused++;
        }
      }
      assert.equal(decoded, boundaries.size - 2); // every boundary after the id, except the full length
      assert.ok(refused > decoded);
    }
  });

  test('truncations inside each kind of field name the field', () => {
    const bytes = encodeEnvelope(FULL);
    const b = fieldBoundaries(bytes);
    // The first field is the id: cut in the middle of its string.
    assertMalformed(() => decodeEnvelope(bytes.subarray(0, 4)), /truncated: id claims \d+ bytes, 2 remain/);
    // The last field is the payload.
    assertMalformed(() => decodeEnvelope(bytes.subarray(0, bytes.length - 1)), /truncated: payload claims/);
    // A lone tag byte at the end.
    assertMalformed(() => decodeEnvelope(bytes.subarray(0, (b[1] as number) + 1)), /truncated inside topic at byte/);
    // A varint cut short (time_unix_ms has continuation bits).
    const t = encodeEnvelope({ id: 'a', topic: 'b', timeUnixMs: 2 ** 40 });
    assertMalformed(() => decodeEnvelope(t.subarray(0, t.length - 1)), /truncated inside time_unix_ms/);
    // A truncated fixed32/fixed64 unknown field.
    assertMalformed(
      () => decodeEnvelope(concat(idField(), topicField(), Uint8Array.of((22 << 3) | 5, 1, 2))),
      /truncated inside unknown field 22/,
    );
    assertMalformed(
      () => decodeEnvelope(concat(idField(), topicField(), Uint8Array.of((23 << 3) | 1, 1, 2, 3, 4))),
      /truncated inside unknown field 23/,
    );
  });

  test('missing id', () => {
    assertMalformed(() => decodeEnvelope(new Uint8Array(0)), /id is missing/);
    assertMalformed(() => decodeEnvelope(encodeEnvelope({ ...FULL, id: '' })), /id is missing/);
    assertMalformed(() => decodeEnvelope(pbEncode({ topic: 't' }), { kind: 'payload' }), /id is missing/);
  });

  test('missing topic is malformed for an event (the default) but allowed for an edge payload', () => {
    const bytes = encodeEnvelope({ ...FULL, topic: '' });
    assertMalformed(() => decodeEnvelope(bytes), /topic is missing/);
    assertMalformed(() => decodeEnvelope(bytes, { kind: 'event' }), /topic is missing/);
    const d = decodeEnvelope(bytes, { kind: 'payload' });
    assert.equal(d.topic, '');
    assert.deepEqual(norm(d), norm({ ...FULL, topic: '' }));
  });

  test('a direction other than 0, 1, 2 is malformed', () => {
    for (const d of [3, 99, 2 ** 31, Number.MAX_SAFE_INTEGER]) {
      const bytes = concat(idField(), topicField(), protobuf.Writer.create().uint32(0x18).uint64(d).finish());
      assertMalformed(() => decodeEnvelope(bytes), new RegExp(`direction ${d} is not 0 \\(local\\), 1 \\(up\\) or 2`));
    }
    // A negative enum (10-byte varint), as another language might send.
    const neg = concat(idField(), topicField(), protobuf.Writer.create().uint32(0x18).int32(-1).finish());
    assertMalformed(() => decodeEnvelope(neg), /direction/);
  });

  test('more metadata entries than the limit', () => {
    const metadata: Record<string, string> = {};
    for (let i = 0; i <= DEFAULT_LIMITS.maxMetadataEntries; i++) metadata[`k${i}`] = 'v';
    const bytes = encodeEnvelope({ id: 'a', topic: 'b', metadata });
    assertMalformed(() => decodeEnvelope(bytes), /metadata has more than 32 entries/);
    // A lower limit of the decoding node applies; a higher one lets it through.
    const limits: Limits = { ...DEFAULT_LIMITS, maxMetadataEntries: 2 };
    assertMalformed(
      () => decodeEnvelope(encodeEnvelope({ id: 'a', topic: 'b', metadata: { a: '1', b: '2', c: '3' } }), { limits }),
      /metadata has more than 2 entries/,
    );
    assert.equal(
      Object.keys(decodeEnvelope(bytes, { limits: { ...DEFAULT_LIMITS, maxMetadataEntries: 33 } }).metadata).length,
      33,
    );
  });

  test('a metadata key or value above its byte limit names the entry', () => {
    const longKey = 'k'.repeat(DEFAULT_LIMITS.maxMetadataKeyBytes + 1);
    assertMalformed(
      () => decodeEnvelope(encodeEnvelope({ id: 'a', topic: 'b', metadata: { [longKey]: 'v' } })),
      /metadata key "kkkk.*is longer than 128 bytes/,
    );
    // Counted in UTF-8 bytes: 65 two-byte characters are 130 bytes.
    assertMalformed(
      () => decodeEnvelope(encodeEnvelope({ id: 'a', topic: 'b', metadata: { ['é'.repeat(65)]: 'v' } })),
      /is longer than 128 bytes/,
    );
    const longValue = 'v'.repeat(DEFAULT_LIMITS.maxMetadataValueBytes + 1);
    assertMalformed(
      () => decodeEnvelope(encodeEnvelope({ id: 'a', topic: 'b', metadata: { tenant: longValue } })),
      /metadata value of "tenant" is longer than 1024 bytes/,
    );
  });

  test('a malformed metadata entry (unknown tag, overrun) is refused', () => {
    const badTag = concat(
      idField(),
      topicField(),
      protobuf.Writer.create().uint32(0x52).fork().uint32(0x18).uint32(1).ldelim().finish(),
    );
    assertMalformed(() => decodeEnvelope(badTag), /metadata entry has unexpected tag 24/);
    // Entry of length 3 whose key claims 5 bytes (more remain in the message after it).
    const overrun = concat(idField(), Uint8Array.of(0x52, 3, 0x0a, 5, 0x61), topicField('abcdef'));
    assertMalformed(() => decodeEnvelope(overrun), /metadata entry overruns its length/);
  });

  test('a payload above the limit', () => {
    const payload = new Uint8Array(DEFAULT_LIMITS.maxPayloadBytes + 1);
    assertMalformed(
      () => decodeEnvelope(encodeEnvelope({ id: 'a', topic: 'b', payload })),
      /payload of 1048577 bytes is above 1048576/,
    );
    const small = encodeEnvelope({ id: 'a', topic: 'b', payload: new Uint8Array(11) });
    assertMalformed(
      () => decodeEnvelope(small, { limits: { ...DEFAULT_LIMITS, maxPayloadBytes: 10 } }),
      /payload of 11 bytes is above 10/,
    );
    assert.equal(decodeEnvelope(small, { limits: { ...DEFAULT_LIMITS, maxPayloadBytes: 11 } }).payload.length, 11);
  });

  test('a known field with the wrong wire type names the field', () => {
    const cases: Array<[Uint8Array, RegExp]> = [
      [Uint8Array.of(0x08, 0x01), /field id has wire type 0/],
      [concat(idField(), Uint8Array.of(0x15, 1, 2, 3, 4)), /field topic has wire type 5/],
      [concat(idField(), topicField(), Uint8Array.of(0x1a, 0x01, 0x01)), /field direction has wire type 2/],
      [
        concat(idField(), topicField(), Uint8Array.of(0x49, 1, 2, 3, 4, 5, 6, 7, 8)),
        /field time_unix_ms has wire type 1/,
      ],
      [concat(idField(), topicField(), Uint8Array.of(0x50, 0x01)), /field metadata has wire type 0/],
      [concat(idField(), topicField(), Uint8Array.of(0x68, 0x01)), /field payload has wire type 0/],
      [concat(idField(), topicField(), Uint8Array.of(0x30, 0x01)), /field edge_id has wire type 0/],
    ];
    for (const [bytes, re] of cases) assertMalformed(() => decodeEnvelope(bytes), re);
  });

  test('a varint longer than 10 bytes, or above 2^53, is refused', () => {
    const eleven = concat(idField(), topicField(), Uint8Array.of(0x48, ...new Array<number>(10).fill(0x80), 0x01));
    assertMalformed(() => decodeEnvelope(eleven), /varint of time_unix_ms is longer than 10 bytes/);
    const tag = Uint8Array.of(...new Array<number>(11).fill(0xff));
    assertMalformed(() => decodeEnvelope(tag), /varint of a field tag is longer than 10 bytes/);
    const big = concat(
      idField(),
      topicField(),
      protobuf.Writer.create().uint32(0x48).uint64('9007199254740993').finish(),
    );
    assertMalformed(() => decodeEnvelope(big), /time_unix_ms is out of range/);
    const negative = concat(idField(), topicField(), protobuf.Writer.create().uint32(0x48).int64(-1).finish());
    assertMalformed(() => decodeEnvelope(negative), /time_unix_ms is out of range/);
    // A padded (non-canonical) varint of 10 bytes is still a valid varint.
    const padded = concat(idField(), topicField(), Uint8Array.of(0x48, 0x85, ...new Array<number>(8).fill(0x80), 0x00));
    assert.equal(decodeEnvelope(padded).timeUnixMs, 5);
  });

  test('a length that claims more than the message holds is refused without allocating it', () => {
    const bytes = concat(Uint8Array.of(0x0a), protobuf.Writer.create().uint64(Number.MAX_SAFE_INTEGER).finish());
    assertMalformed(() => decodeEnvelope(bytes), /truncated: id claims 9007199254740991 bytes, 0 remain/);
  });
});

describe('envelope codec: properties (fast-check)', () => {
  const str = (maxLength: number) => fc.string({ unit: 'binary', maxLength });
  const envelopeArb: fc.Arbitrary<Envelope> = fc.record({
    id: fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
    topic: str(60),
    direction: fc.constantFrom(Direction.Local, Direction.Up, Direction.Down),
    origin: str(40),
    namespace: str(20),
    edgeId: str(20),
    correlationId: str(40),
    causationId: str(40),
    timeUnixMs: fc.oneof(fc.constant(0), fc.maxSafeNat(), fc.integer({ min: 0, max: 2 ** 42 })),
    // ≤ 30 code points is ≤ 120 UTF-8 bytes (key limit 128); ≤ 200 is ≤ 800 (value limit 1024).
    metadata: fc.dictionary(str(30), str(200), { maxKeys: DEFAULT_LIMITS.maxMetadataEntries, noNullPrototype: true }),
    traceparent: str(60),
    contentType: fc.constantFrom('', CONTENT_TYPE_JSON, CONTENT_TYPE_BYTES, 'text/plain'),
    payload: fc.uint8Array({ maxLength: 300 }),
  });

  /** Decodes; returns whether it decoded; fails on any error but the coded one. */
  function decodesOrMalformed(bytes: Uint8Array): boolean {
    try {
      decodeEnvelope(bytes, { kind: 'payload' });
      return true;
    } catch (err) {
      if ((err as { code?: unknown }).code !== MALFORMED) {
        throw new Error(`decodeEnvelope threw ${String(err)} for ${Buffer.from(bytes).toString('hex')}`, {
          cause: err,
        });
      }
      return false;
    }
  }

  test('random envelopes round-trip, and protobufjs reads the same values', () => {
    fc.assert(
      fc.property(envelopeArb, (e) => {
        const bytes = encodeEnvelope(e);
        const d = norm(decodeEnvelope(bytes, { kind: 'payload' }));
        assert.deepEqual(d, norm(e));
        assert.deepEqual(pbDecode(bytes), norm(e));
      }),
      { numRuns: 500 },
    );
  });

  test('random bytes either decode or throw HS_ERR_ENVELOPE_MALFORMED', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => void decodesOrMalformed(b)),
      { numRuns: 1000 },
    );
  });

  test('random mutations of valid messages either decode or throw HS_ERR_ENVELOPE_MALFORMED', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), byte: fc.constant(0) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), byte: fc.constant(0) }),
    );
    fc.assert(
      fc.property(envelopeArb, fc.array(mutation, { minLength: 1, maxLength: 4 }), (e, muts) => {
        const bytes = Array.from(encodeEnvelope(e));
        for (const m of muts) {
          const at = bytes.length ? m.at % bytes.length : 0;
          if (m.kind === 'set') bytes[at] = m.byte;
          else if (m.kind === 'insert') bytes.splice(at, 0, m.byte);
          else if (m.kind === 'delete') bytes.splice(at, 1);
          else bytes.length = at;
        }
        decodesOrMalformed(Uint8Array.from(bytes));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('envelope codec: fields 14-17 appended to stored bytes', () => {
  test('sequence, epoch and replay fields appended later decode, with protobufjs too', () => {
    const base = encodeEnvelope({
      id: 'p-1',
      direction: Direction.Up,
      namespace: 'eu',
      edgeId: 'e1',
      payload: Uint8Array.of(7),
    });
    const stamped = appendEnvelopeFields(base, { sequence: 300, sequenceEpoch: 'epoch-1' });
    const replayed = appendEnvelopeFields(stamped, { replayOf: 'p-1', replayAtUnixMs: 1_700_000_000_000 });
    const d = decodeEnvelope(replayed, { kind: 'payload' });
    assert.equal(d.sequence, 300);
    assert.equal(d.sequenceEpoch, 'epoch-1');
    assert.equal(d.replayOf, 'p-1');
    assert.equal(d.replayAtUnixMs, 1_700_000_000_000);
    assert.deepEqual(pbDecode(replayed), norm(d));
    assert.equal(decodeEnvelope(base, { kind: 'payload' }).sequence, undefined, 'absent when not on the wire');
  });
});
