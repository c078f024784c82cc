import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_LIMITS, ErrorCode, isHubspokeError } from '@hubspoke/sdk';
import { MAX_VALUE_JSON_BYTES, checkRequest } from './validate.js';

test('value_json is limited in UTF-8 bytes, not characters', () => {
  const put = (valueJson: string) => () => checkRequest('PutConfig', { key: 'k', valueJson }, DEFAULT_LIMITS);
  // 600,000 two-byte characters: within the limit in characters, 1.2 MB in bytes.
  const wide = JSON.stringify('é'.repeat(600_000));
  assert.ok(wide.length < MAX_VALUE_JSON_BYTES && Buffer.byteLength(wide) > MAX_VALUE_JSON_BYTES);
  assert.throws(
    put(wide),
    (err: unknown) =>
      isHubspokeError(err, ErrorCode.InvalidArgument) && /value_json: 1200002 bytes, above 1048576/.test(String(err)),
  );
  // The same number of one-byte characters passes, and so does a value just at the limit.
  assert.doesNotThrow(put(JSON.stringify('e'.repeat(600_000))));
  assert.doesNotThrow(put(`"${'é'.repeat((MAX_VALUE_JSON_BYTES - 2) / 2)}"`));
  assert.throws(put(`"${'é'.repeat((MAX_VALUE_JSON_BYTES - 2) / 2)}x"`), /value_json: 1048577 bytes/);
});
