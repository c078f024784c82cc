import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { encodeHeartbeat, parseHeartbeat, type HeartbeatBody } from './heartbeat.js';

const valid: HeartbeatBody = {
  version: '0.1.0',
  namespace: 'eu',
  edgeId: 'e1',
  health: 'ok',
  appliedRevision: 3,
  outboxDepth: 0,
  reconnects: 1,
  heartbeatMs: 5000,
  time: 1_700_000_000_000,
};

/** What every accepted heartbeat must be, whatever came in. */
function wellFormed(b: HeartbeatBody): void {
  assert.equal(typeof b.version, 'string');
  assert.ok(b.version.length <= 64);
  assert.equal(typeof b.namespace, 'string');
  assert.equal(typeof b.edgeId, 'string');
  assert.ok(b.health === 'ok' || b.health === 'degraded');
  for (const k of ['appliedRevision', 'outboxDepth', 'reconnects', 'time'] as const) {
    assert.ok(Number.isSafeInteger(b[k]) && b[k] >= 0, k);
  }
  assert.ok(Number.isSafeInteger(b.heartbeatMs) && b.heartbeatMs >= 100 && b.heartbeatMs <= 60_000);
  assert.ok(b.leaving === undefined || typeof b.leaving === 'boolean');
  assert.ok(b.lastError === undefined || (typeof b.lastError === 'string' && b.lastError.length <= 1024));
}

function check(data: Uint8Array): void {
  const r = parseHeartbeat(data);
  if (typeof r === 'string') assert.ok(r.length > 0, 'a rejection names its reason');
  else wellFormed(r);
}

describe('parseHeartbeat: random and mutated input (property-based)', () => {
  test('a valid heartbeat parses back to itself', () => {
    assert.deepEqual(parseHeartbeat(encodeHeartbeat(valid)), valid);
  });

  test('random bytes and random JSON values: a well-formed body or a reason, never a throw', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? '')),
        ),
        (b) => check(b),
      ),
      { numRuns: 2000 },
    );
  });

  test('a valid heartbeat with one field replaced by anything: well-formed or a reason naming a field', () => {
    const keys = [...Object.keys(valid), 'leaving', 'lastError'] as (keyof HeartbeatBody)[];
    fc.assert(
      fc.property(
        fc.constantFrom(...keys),
        fc.oneof(fc.jsonValue(), fc.string({ maxLength: 2000 }), fc.double()),
        (k, v) => {
          const body = { ...valid, [k]: v };
          const r = parseHeartbeat(Buffer.from(JSON.stringify(body)));
          if (typeof r === 'string') assert.match(r, /^[a-zA-Z ]+(:| and)/);
          else wellFormed(r);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('byte mutations of a valid heartbeat: well-formed or a reason', () => {
    const bytes = encodeHeartbeat({ ...valid, leaving: true, lastError: 'x' });
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(bytes.length - 1), byte: fc.integer({ min: 0, max: 255 }) }), {
          minLength: 1,
          maxLength: 5,
        }),
        (muts) => {
          const b = Uint8Array.from(bytes);
          for (const m of muts) b[m.at] = m.byte;
          check(b);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
