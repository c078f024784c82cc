import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, test } from 'node:test';
import { Sessions, checkChange, checkOrigin, tokenMatches } from './auth.js';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const code = (c: string) => (err: unknown) => (err as { code?: string }).code === c;

describe('console sessions', () => {
  test('tokenMatches compares whole tokens, whatever their lengths', () => {
    assert.equal(tokenMatches('a-long-admin-token', 'a-long-admin-token'), true);
    assert.equal(tokenMatches('a-long-admin-token', 'a-long-admin-toke'), false);
    assert.equal(tokenMatches('a-long-admin-token', ''), false);
  });

  test('a wrong or missing token gets no session; the right one a cookie that finds it', () => {
    const s = new Sessions('the-admin-token-123');
    assert.throws(() => s.login('nope'), code('HS_ERR_UNAUTHENTICATED'));
    assert.throws(() => s.login(undefined), code('HS_ERR_UNAUTHENTICATED'));
    const session = s.login('the-admin-token-123');
    const cookie = s.cookie(session).split(';')[0] as string;
    assert.equal(s.require(req({ cookie: `other=1; ${cookie}` })), session);
    assert.throws(() => s.require(req({})), code('HS_ERR_UNAUTHENTICATED'));
    s.logout(session);
    assert.throws(() => s.require(req({ cookie })), code('HS_ERR_UNAUTHENTICATED'));
  });

  test('a session expires after its idle time', () => {
    const s = new Sessions('the-admin-token-123', 1);
    const session = s.login('the-admin-token-123');
    session.expires = Date.now() - 1;
    assert.equal(s.find(req({ cookie: s.cookie(session).split(';')[0] as string })), undefined);
  });

  test('a change needs the CSRF header; an Origin, when sent, must be the Host', () => {
    const s = new Sessions('the-admin-token-123').login('the-admin-token-123');
    assert.throws(() => checkChange(req({ host: 'h:1' }), s), code('HS_ERR_FORBIDDEN'));
    assert.throws(() => checkChange(req({ host: 'h:1', 'x-hs-csrf': 'x' }), s), code('HS_ERR_FORBIDDEN'));
    checkChange(req({ host: 'h:1', 'x-hs-csrf': s.csrf }), s);
    checkChange(req({ host: 'h:1', origin: 'http://h:1', 'x-hs-csrf': s.csrf }), s);
    assert.throws(() => checkOrigin(req({ host: 'h:1', origin: 'http://evil:1' })), code('HS_ERR_FORBIDDEN'));
    assert.throws(() => checkOrigin(req({ host: 'h:1', origin: 'null' })), code('HS_ERR_FORBIDDEN'));
  });
});
