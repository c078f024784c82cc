import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ErrorCode, HubspokeError } from '../errors.js';
import { bearer, fromServiceError, hasToken, toStatus } from './rpc.js';

const asServiceError = (s: ReturnType<typeof toStatus>): ServiceError =>
  Object.assign(new Error(s.details), { code: s.code, details: s.details, metadata: new Metadata() }) as ServiceError;

test('a coded error crosses the wire with its code and message', () => {
  const err = new HubspokeError(ErrorCode.InvalidTopic, 'topic "a..b" has an empty token');
  const s = toStatus(err);
  assert.equal(s.code, status.INVALID_ARGUMENT);
  const back = fromServiceError(asServiceError(s), ErrorCode.Internal, 'x');
  assert.equal(back.code, ErrorCode.InvalidTopic);
  assert.equal(back.message, err.message);
  assert.equal(toStatus(new HubspokeError(ErrorCode.ScopeDenied, 'no')).code, status.PERMISSION_DENIED);
});

test('an uncoded error becomes HS_ERR_PLUGIN; a status without a code gets the fallback, naming the call', () => {
  const back = fromServiceError(
    asServiceError(toStatus(new TypeError('x is not a function'))),
    ErrorCode.Internal,
    'y',
  );
  assert.equal(back.code, ErrorCode.Plugin);
  const e = fromServiceError(
    asServiceError({ code: status.DEADLINE_EXCEEDED, details: 'Deadline exceeded' }),
    ErrorCode.NotConnected,
    'the host (KvGet)',
  );
  assert.equal(e.code, ErrorCode.NotConnected);
  assert.match(e.message, /the host \(KvGet\): no answer in time/);
});

test('hasToken accepts exactly the bearer token', () => {
  assert.equal(hasToken(bearer('secret-token'), 'secret-token'), true);
  assert.equal(hasToken(bearer('secret-token'), 'secret-toke'), false);
  assert.equal(hasToken(bearer('other'), 'secret-token'), false);
  assert.equal(hasToken(new Metadata(), 'secret-token'), false);
});
