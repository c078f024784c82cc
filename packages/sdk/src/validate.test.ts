import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode, isHubspokeError } from './errors.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { assertMetadata, assertPayloadSize } from './validate.js';

const L = DEFAULT_LIMITS;

function assertCode(fn: () => unknown, code: ErrorCode, re: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isHubspokeError(err, code), `expected ${code}, got ${String(err)}`);
    assert.equal((err as Error).name, 'HubspokeError');
    assert.ok((err as Error).message.startsWith(`${code}: `));
    assert.match((err as Error).message, re);
    return true;
  });
}
const metaInvalid = (fn: () => unknown, re: RegExp) => assertCode(fn, ErrorCode.MetadataInvalid, re);

describe('assertMetadata', () => {
  test('accepts undefined, empty, and everything exactly at the limits', () => {
    assertMetadata(L, undefined);
    assertMetadata(L, {});
    const atLimit: Record<string, string> = {};
    for (let i = 0; i < L.maxMetadataEntries; i++) atLimit[`k${i}`] = '';
    assertMetadata(L, atLimit);
    assertMetadata(L, { ['k'.repeat(L.maxMetadataKeyBytes)]: 'v'.repeat(L.maxMetadataValueBytes) });
    assertMetadata(L, { ['é'.repeat(L.maxMetadataKeyBytes / 2)]: '€'.repeat(Math.floor(L.maxMetadataValueBytes / 3)) });
    assertMetadata(L, undefined, { correlationId: 'c'.repeat(L.maxCorrelationIdBytes), causationId: '' });
    assertMetadata(L, undefined, { correlationId: undefined, causationId: undefined });
  });

  test('too many entries', () => {
    const m: Record<string, string> = {};
    for (let i = 0; i <= L.maxMetadataEntries; i++) m[`k${i}`] = 'v';
    metaInvalid(() => assertMetadata(L, m), /metadata has more than 32 entries/);
    const limits: Limits = { ...L, maxMetadataEntries: 1 };
    metaInvalid(() => assertMetadata(limits, { a: '1', b: '2' }), /metadata has more than 1 entries/);
  });

  test('a key too long (in UTF-8 bytes) or empty names the key', () => {
    metaInvalid(
      () => assertMetadata(L, { ['k'.repeat(L.maxMetadataKeyBytes + 1)]: 'v' }),
      /metadata key "k{40}" must be 1 to 128 bytes/,
    );
    metaInvalid(() => assertMetadata(L, { ['é'.repeat(65)]: 'v' }), /metadata key "é+" must be 1 to 128 bytes/);
    metaInvalid(() => assertMetadata(L, { '': 'v' }), /metadata key "" must be 1 to 128 bytes/);
  });

  test('a value too long (in UTF-8 bytes) names the key', () => {
    metaInvalid(
      () => assertMetadata(L, { tenant: 'v'.repeat(L.maxMetadataValueBytes + 1) }),
      /metadata "tenant" has a value longer than 1024 bytes/,
    );
    metaInvalid(() => assertMetadata(L, { tenant: '€'.repeat(342) }), /"tenant" has a value longer than 1024 bytes/);
    metaInvalid(
      () => assertMetadata({ ...L, maxMetadataValueBytes: 3 }, { a: 'abc', b: 'abcd' }),
      /metadata "b" has a value longer than 3 bytes/,
    );
  });

  test('a value that is not a string names the key and the type', () => {
    metaInvalid(
      () => assertMetadata(L, { n: 5 } as unknown as Record<string, string>),
      /metadata "n" must be a string, not number/,
    );
    metaInvalid(
      () => assertMetadata(L, { u: undefined } as unknown as Record<string, string>),
      /metadata "u" must be a string, not undefined/,
    );
  });

  test('metadata that is not an object', () => {
    for (const bad of [null, 'a=b', 5]) {
      metaInvalid(
        () => assertMetadata(L, bad as unknown as Record<string, string>),
        /metadata must be an object of strings/,
      );
    }
  });

  test('correlation and causation ids too long (in UTF-8 bytes) or not strings', () => {
    metaInvalid(
      () => assertMetadata(L, undefined, { correlationId: 'c'.repeat(L.maxCorrelationIdBytes + 1) }),
      /correlation id is longer than 256 bytes/,
    );
    metaInvalid(
      () => assertMetadata(L, undefined, { correlationId: 'é'.repeat(129) }),
      /correlation id is longer than 256 bytes/,
    );
    metaInvalid(
      () => assertMetadata(L, {}, { causationId: 'c'.repeat(L.maxCorrelationIdBytes + 1) }),
      /causation id is longer than 256 bytes/,
    );
    metaInvalid(
      () => assertMetadata(L, undefined, { correlationId: 42 as unknown as string }),
      /correlation id must be a string/,
    );
    metaInvalid(
      () => assertMetadata({ ...L, maxCorrelationIdBytes: 4 }, undefined, { correlationId: 'abcde' }),
      /correlation id is longer than 4 bytes/,
    );
  });
});

describe('assertPayloadSize', () => {
  test('accepts up to the limit', () => {
    assertPayloadSize(L, 0);
    assertPayloadSize(L, L.maxPayloadBytes);
  });

  test('above the limit: HS_ERR_PAYLOAD_TOO_LARGE with both sizes', () => {
    assertCode(
      () => assertPayloadSize(L, L.maxPayloadBytes + 1),
      ErrorCode.PayloadTooLarge,
      /payload of 1048577 bytes is above the limit of 1048576 bytes/,
    );
    assertCode(
      () => assertPayloadSize({ ...L, maxPayloadBytes: 1024 }, 2048),
      ErrorCode.PayloadTooLarge,
      /payload of 2048 bytes is above the limit of 1024 bytes/,
    );
  });
});

describe('DEFAULT_LIMITS', () => {
  test('are the documented defaults, frozen', () => {
    assert.deepEqual(
      { ...L },
      {
        maxPayloadBytes: 1048576,
        maxMetadataEntries: 32,
        maxMetadataKeyBytes: 128,
        maxMetadataValueBytes: 1024,
        maxCorrelationIdBytes: 256,
      },
    );
    assert.ok(Object.isFrozen(L));
  });
});

describe('metadata and payload limits: random input (property-based)', () => {
  const str = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 300 }), fc.constant(''));
  const value = fc.oneof(str, fc.anything());
  const metadata = fc.oneof(
    fc.dictionary(str, value, { maxKeys: 40 }),
    fc.dictionary(str, str, { maxKeys: 40 }),
    fc.anything(),
  );

  test('assertMetadata passes exactly what the limits allow; anything else is HS_ERR_METADATA_INVALID', () => {
    fc.assert(
      fc.property(metadata, fc.option(value, { nil: undefined }), (md, correlationId) => {
        const byteLen = (s: string): number => Buffer.byteLength(s);
        const idOk =
          correlationId === undefined ||
          (typeof correlationId === 'string' && byteLen(correlationId) <= L.maxCorrelationIdBytes);
        const mdOk =
          md === undefined ||
          (typeof md === 'object' &&
            md !== null &&
            Object.keys(md).length <= L.maxMetadataEntries &&
            Object.entries(md).every(
              ([k, v]) =>
                typeof v === 'string' &&
                k.length > 0 &&
                byteLen(k) <= L.maxMetadataKeyBytes &&
                byteLen(v) <= L.maxMetadataValueBytes,
            ));
        let threw: unknown;
        try {
          assertMetadata(L, md as Record<string, string> | undefined, {
            correlationId: correlationId as string | undefined,
          });
        } catch (err) {
          threw = err;
        }
        if (idOk && mdOk) assert.equal(threw, undefined);
        else assert.ok(isHubspokeError(threw, ErrorCode.MetadataInvalid), String(threw));
      }),
      { numRuns: 2000 },
    );
  });

  test('assertPayloadSize refuses exactly the sizes above the limit, with HS_ERR_PAYLOAD_TOO_LARGE', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 * L.maxPayloadBytes }), (size) => {
        let threw: unknown;
        try {
          assertPayloadSize(L, size);
        } catch (err) {
          threw = err;
        }
        if (size <= L.maxPayloadBytes) assert.equal(threw, undefined);
        else assert.ok(isHubspokeError(threw, ErrorCode.PayloadTooLarge));
      }),
      { numRuns: 1000 },
    );
  });
});
