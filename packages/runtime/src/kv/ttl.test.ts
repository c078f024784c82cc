import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { assertKey, assertPrefix, decodeValue, encodeValue } from './ttl.js';

/** Asserts the error's code; the code is spelled out, so that a stale `@hubspoke/sdk` build cannot hide a change. */
function assertCode(fn: () => unknown, code: string, re: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.equal((err as { code?: unknown }).code, code, String(err));
    assert.match((err as Error).message, re);
    return true;
  });
}
const invalidKey = (fn: () => unknown, re: RegExp) => assertCode(fn, 'HS_ERR_INVALID_KEY', re);
const invalidArgument = (fn: () => unknown, re: RegExp) => assertCode(fn, 'HS_ERR_INVALID_ARGUMENT', re);

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

describe('KV value format (ttl.ts)', () => {
  test('without expiry: a 0 byte, then the value', () => {
    const stored = encodeValue(bytes(1, 2, 3));
    assert.deepEqual(Array.from(stored), [0, 1, 2, 3]);
    assert.deepEqual(Array.from(decodeValue(stored) ?? []), [1, 2, 3]);
    // Still there far in the future.
    assert.deepEqual(Array.from(decodeValue(stored, Number.MAX_SAFE_INTEGER) ?? []), [1, 2, 3]);
  });

  test('strings are stored as UTF-8', () => {
    const out = decodeValue(encodeValue('värde ✓'));
    assert.equal(Buffer.from(out ?? []).toString('utf8'), 'värde ✓');
  });

  test('an empty value round-trips as an empty value, not undefined', () => {
    const out = decodeValue(encodeValue(new Uint8Array(0)));
    assert.ok(out instanceof Uint8Array);
    assert.equal(out.length, 0);
    assert.equal(decodeValue(encodeValue(new Uint8Array(0), { ttlMs: 1000 }))?.length, 0);
  });

  test('with expiry: a 1 byte, the expiry time as a big-endian float64, then the value', () => {
    const before = Date.now();
    const stored = encodeValue(bytes(9, 8), { ttlMs: 5000 });
    const after = Date.now();
    assert.equal(stored.length, 11);
    assert.equal(stored[0], 1);
    const exp = Buffer.from(stored).readDoubleBE(1);
    assert.ok(exp >= before + 5000 && exp <= after + 5000, `expiry ${exp}`);
    assert.deepEqual(Array.from(stored.subarray(9)), [9, 8]);
    assert.deepEqual(Array.from(decodeValue(stored) ?? []), [9, 8]);
    assert.deepEqual(Array.from(decodeValue(stored, exp - 1) ?? []), [9, 8]);
  });

  test('an expired value decodes as undefined (at and after the expiry time)', () => {
    const stored = encodeValue(bytes(1), { ttlMs: 10 });
    const exp = Buffer.from(stored).readDoubleBE(1);
    assert.equal(decodeValue(stored, exp), undefined);
    assert.equal(decodeValue(stored, exp + 1), undefined);
    assert.equal(decodeValue(stored, Date.now() + 60_000), undefined);
  });

  test('a fractional ttl works', () => {
    const stored = encodeValue(bytes(1), { ttlMs: 0.5 });
    assert.equal(stored[0], 1);
  });

  test('decodes a value inside a larger buffer (non-zero byteOffset)', () => {
    const stored = encodeValue(bytes(4, 5), { ttlMs: 60_000 });
    const big = new Uint8Array(stored.length + 7);
    big.set(stored, 3);
    assert.deepEqual(Array.from(decodeValue(big.subarray(3, 3 + stored.length)) ?? []), [4, 5]);
  });

  test('anything not in this format decodes as undefined', () => {
    assert.equal(decodeValue(new Uint8Array(0)), undefined);
    assert.equal(decodeValue(bytes(2, 1, 2)), undefined); // unknown format byte
    assert.equal(decodeValue(bytes(1, 0, 0, 0)), undefined); // expiry flag, but too short for the time
    assert.equal(decodeValue(bytes(0xff)), undefined);
  });

  test('a bad ttlMs or value type throws HS_ERR_INVALID_ARGUMENT', () => {
    for (const ttlMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      invalidArgument(() => encodeValue(bytes(1), { ttlMs }), /ttlMs .* must be a positive number of milliseconds/);
    }
    invalidArgument(() => encodeValue(42 as unknown as Uint8Array), /KV values must be a Uint8Array or a string/);
    invalidArgument(() => encodeValue({} as unknown as Uint8Array), /KV values must be a Uint8Array or a string/);
  });
});

describe('assertKey', () => {
  test('accepts 1-256 characters of [A-Za-z0-9_-/=.] with no empty dot-separated part', () => {
    for (const k of ['a', 'plugin.cache-sync', 'a/b=c', 'A_Z-0.9', 'x'.repeat(256), 'a.b.c.d', '-', '=', '/']) {
      assert.doesNotThrow(() => assertKey(k), k);
    }
  });

  test('refuses bad keys with HS_ERR_INVALID_KEY naming the key', () => {
    for (const k of [
      '',
      '.a',
      'a.',
      'a..b',
      '.',
      'a b',
      'a*',
      'a>',
      '*',
      '>',
      'café',
      'a\nb',
      'a:b',
      'x'.repeat(257),
    ]) {
      invalidKey(() => assertKey(k), new RegExp(`^HS_ERR_INVALID_KEY: KV key ${escape(JSON.stringify(k))} is invalid`));
    }
    for (const k of [undefined, null, 5, ['a']]) invalidKey(() => assertKey(k), /KV key .* is invalid/);
  });
});

describe('assertPrefix', () => {
  test('accepts empty, a key, or a key ending in a partial token or a dot', () => {
    for (const p of ['', 'a', 'plugin.', 'plugin.ca', 'a/b=']) assert.doesNotThrow(() => assertPrefix(p), p);
  });

  test('refuses characters outside the key alphabet', () => {
    for (const p of ['a b', 'a*', '>', 'é', undefined, 5]) invalidKey(() => assertPrefix(p), /KV prefix .* is invalid/);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
