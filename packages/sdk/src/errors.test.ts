import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, HubspokeError, isHubspokeError } from './errors.js';

describe('HubspokeError', () => {
  test('is an Error with a stable code, the code leading its message, and a cause', () => {
    const cause = new Error('inner');
    const e = new HubspokeError(ErrorCode.Plugin, 'plugin x: initialize failed', { cause });
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'HubspokeError');
    assert.equal(e.code, 'HS_ERR_PLUGIN');
    assert.equal(e.message, 'HS_ERR_PLUGIN: plugin x: initialize failed');
    assert.equal(e.cause, cause);
  });

  test('every code is HS_ERR_ + upper snake case, and codes are unique', () => {
    const codes = Object.values(ErrorCode);
    for (const c of codes) assert.match(c, /^HS_ERR_[A-Z]+(_[A-Z]+)*$/);
    assert.equal(new Set(codes).size, codes.length);
  });
});

describe('isHubspokeError', () => {
  test('recognises hubspoke errors, with or without a code, across package copies', () => {
    const e = new HubspokeError(ErrorCode.Closed, 'closed');
    assert.equal(isHubspokeError(e), true);
    assert.equal(isHubspokeError(e, ErrorCode.Closed), true);
    assert.equal(isHubspokeError(e, ErrorCode.Plugin), false);
    // Another copy of the SDK: any object with an HS_ERR_ code.
    assert.equal(isHubspokeError({ code: 'HS_ERR_CLOSED', message: 'x' }, ErrorCode.Closed), true);
  });

  test('refuses everything else', () => {
    for (const v of [undefined, null, 'HS_ERR_CLOSED', 5, new Error('x'), { code: 'ENOENT' }, { code: 5 }]) {
      assert.equal(isHubspokeError(v), false, String(v));
    }
  });
});
