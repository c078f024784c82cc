import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import { GRPC_STATUS_OF_CODE, toStatus as pluginStatus } from '@hubspoke/sdk/internal';
import { toStatus as adminStatus } from './errors.js';

test('one HS_ERR -> gRPC status table: the admin API and the plugin protocol answer every code alike', () => {
  for (const code of Object.values(ErrorCode)) {
    const err = new HubspokeError(code, 'x');
    const a = adminStatus(err);
    const p = pluginStatus(err);
    assert.equal(a.code, GRPC_STATUS_OF_CODE[code], code);
    assert.equal(p.code, GRPC_STATUS_OF_CODE[code], code);
    assert.equal(a.details, p.details);
  }
  assert.equal(GRPC_STATUS_OF_CODE[ErrorCode.ScopeDenied], 7, 'PERMISSION_DENIED (one copy said INTERNAL)');
  assert.equal(GRPC_STATUS_OF_CODE[ErrorCode.InvalidArgument], 3);
  assert.equal(GRPC_STATUS_OF_CODE[ErrorCode.Unauthenticated], 16);
  assert.equal(GRPC_STATUS_OF_CODE[ErrorCode.NotFound], 5);
  const long = adminStatus(new HubspokeError(ErrorCode.InvalidArgument, 'y'.repeat(1_000_000)));
  assert.ok((long.details ?? '').length <= 1024, 'status messages are cut: they travel in an HTTP/2 header');
});
