import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import { errorReport } from './errors.js';

test('a CLI failure is its HS_ERR code, the message and a hint; never a stack unless HUBSPOKE_DEBUG', () => {
  const coded = errorReport(
    new HubspokeError(ErrorCode.NotConnected, 'cannot reach the admin API at h:1'),
    'edges',
    {},
  );
  assert.match(
    coded,
    /^HS_ERR_NOT_CONNECTED: cannot reach the admin API at h:1\n {2}hint: is the control plane running/,
  );
  const bug = errorReport(new TypeError("Cannot read properties of undefined (reading 'x')"), 'edges', {});
  assert.match(
    bug,
    /^HS_ERR_INTERNAL: Cannot read properties of undefined \(reading 'x'\)\n {2}hint: set HUBSPOKE_DEBUG=1/,
  );
  assert.doesNotMatch(bug, /\n\s+at /);
  assert.match(errorReport(new TypeError('boom'), 'edges', { HUBSPOKE_DEBUG: '1' }), /\n\s+at /);
  for (const code of Object.values(ErrorCode)) {
    const r = errorReport(new HubspokeError(code, 'm'), 'payloads', {});
    assert.ok(r.startsWith(`${code}: m\n`), code);
  }
  assert.match(
    errorReport(new HubspokeError(ErrorCode.ConfigInvalid, 'bad'), 'payloads', {}),
    /hubspoke payloads --help/,
  );
});
