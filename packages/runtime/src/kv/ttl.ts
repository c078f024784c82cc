import { Buffer } from 'node:buffer';
import { ErrorCode, HubspokeError, type KVPutOptions } from '@hubspoke/sdk';

// nats-server 2.9 silently ignores per-message TTLs (NATS-NOTES.md), so expiry travels with the value:
// byte 0 is 0 (no expiry) or 1 (an 8-byte big-endian float64 expiry time in ms follows), then the value.
const NO_EXPIRY = 0;
const WITH_EXPIRY = 1;

const KEY = /^[-/=\w]+(\.[-/=\w]+)*$/;

/** @throws HubspokeError `HS_ERR_INVALID_KEY` unless the key is 1–256 of `[A-Za-z0-9_-/=.]` with no empty token. */
export function assertKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 256 || !KEY.test(key)) {
    throw new HubspokeError(
      ErrorCode.InvalidKey,
      `KV key ${JSON.stringify(key)} is invalid: use 1-256 characters of [A-Za-z0-9_-/=.], no empty dot-separated part`,
    );
  }
}

/** Checks a KV prefix: empty, or a key possibly ending in a partial token. */
export function assertPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string' || (prefix !== '' && !/^[-/=.\w]+$/.test(prefix))) {
    throw new HubspokeError(ErrorCode.InvalidKey, `KV prefix ${JSON.stringify(prefix)} is invalid`);
  }
}

export function encodeValue(value: Uint8Array | string, opts?: KVPutOptions): Uint8Array {
  const v = typeof value === 'string' ? Buffer.from(value) : value;
  if (!(v instanceof Uint8Array))
    throw new HubspokeError(ErrorCode.InvalidArgument, 'KV values must be a Uint8Array or a string');
  const ttl = opts?.ttlMs;
  if (ttl === undefined) {
    const out = Buffer.allocUnsafe(v.length + 1);
    out[0] = NO_EXPIRY;
    out.set(v, 1);
    return out;
  }
  if (!Number.isFinite(ttl) || ttl <= 0) {
    throw new HubspokeError(ErrorCode.InvalidArgument, `ttlMs ${ttl} must be a positive number of milliseconds`);
  }
  const out = Buffer.allocUnsafe(v.length + 9);
  out[0] = WITH_EXPIRY;
  out.writeDoubleBE(Date.now() + ttl, 1);
  out.set(v, 9);
  return out;
}

/** The value, or undefined when it has expired (or is not in this format). */
export function decodeValue(stored: Uint8Array, now = Date.now()): Uint8Array | undefined {
  if (stored.length === 0) return undefined;
  if (stored[0] === NO_EXPIRY) return stored.subarray(1);
  if (stored[0] === WITH_EXPIRY && stored.length >= 9) {
    const exp = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).readDoubleBE(1);
    return exp > now ? stored.subarray(9) : undefined;
  }
  return undefined;
}
