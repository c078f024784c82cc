import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ErrorCode, isHubspokeError } from '@hubspoke/sdk';
import {
  assertConfigKey,
  configDigest,
  configKeyProblem,
  configScope,
  configValueJson,
  parseConfigRecord,
} from './config-wire.js';

const token = fc.stringMatching(/^[A-Za-z0-9-][A-Za-z0-9_-]{0,20}$/);
const key = fc.array(token, { minLength: 1, maxLength: 5 }).map((t) => t.join('.'));

describe('config wire', () => {
  test('property: dot-separated tokens are valid keys; anything else gets a reason, and assertConfigKey a coded error', () => {
    fc.assert(
      fc.property(key, (k) => configKeyProblem(k) === undefined),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.constantFrom('', '.', 'a.', '.a', 'a..b', '_x', 'a b', 'ü', 'a.*', '>')),
        (k) => {
          const p = configKeyProblem(k);
          try {
            assertConfigKey(k);
            return p === undefined;
          } catch (err) {
            return p !== undefined && isHubspokeError(err, ErrorCode.InvalidKey) && (err as Error).message.includes(p);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('property: any JSON-ish input to parseConfigRecord is a record or a reason, never a throw', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.record(
            {
              scope: fc.oneof(fc.constant('_all'), token, fc.string()),
              key: fc.oneof(key, fc.string()),
              revision: fc.oneof(fc.integer(), fc.double()),
              value: fc.jsonValue(),
              deleted: fc.oneof(fc.constant(true), fc.anything()),
            },
            { requiredKeys: [] },
          ),
        ),
        (v) => {
          const r = parseConfigRecord(v);
          if (typeof r === 'string') return r.length > 0;
          return (
            typeof r.key === 'string' &&
            Number.isSafeInteger(r.revision) &&
            r.revision >= 1 &&
            configKeyProblem(r.key) === undefined
          );
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('values: JSON up to 256 KiB passes; functions, cycles, undefined and oversize are HS_ERR_CONFIG_INVALID', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => typeof configValueJson('k', v) === 'string'),
      { numRuns: 1000 },
    );
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    for (const bad of [() => 1, undefined, cyclic, 'x'.repeat(300 * 1024), 10n]) {
      assert.throws(
        () => configValueJson('k', bad),
        (err: unknown) => isHubspokeError(err, ErrorCode.ConfigInvalid),
      );
    }
  });

  test('scopes and digests', () => {
    assert.equal(configScope(undefined), '_all');
    assert.equal(configScope('eu'), 'eu');
    assert.throws(
      () => configScope('_all'),
      (err: unknown) => isHubspokeError(err, ErrorCode.InvalidName),
    );
    const a = configDigest([
      { scope: '_all', key: 'a', revision: 1 },
      { scope: 'eu', key: 'b', revision: 2 },
    ]);
    const b = configDigest([
      { scope: 'eu', key: 'b', revision: 2 },
      { scope: '_all', key: 'a', revision: 1 },
    ]);
    assert.equal(a, b, 'order does not matter');
    assert.notEqual(
      a,
      configDigest([
        { scope: '_all', key: 'a', revision: 3 },
        { scope: 'eu', key: 'b', revision: 2 },
      ]),
    );
  });
});
