import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, HubspokeError, isHubspokeError } from '@hubspoke/sdk';
import { isJetStreamUnavailable, withJetStream } from './unavailable.js';

/** What nats.js throws when a stream has no leader to answer (no responders): its class name and message. */
class JetStreamNotEnabled extends Error {
  override name = 'JetStreamNotEnabled';
}

describe('withJetStream', () => {
  test('waits through a leader election: failures that say "unavailable" are tried again', async () => {
    let calls = 0;
    const v = await withJetStream(
      'KV bucket x',
      async () => {
        if (++calls < 3) throw new JetStreamNotEnabled('jetstream is not enabled');
        return 42;
      },
      5000,
    );
    assert.equal(v, 42);
    assert.equal(calls, 3);
  });

  test('past its time, rejects with HS_ERR_JETSTREAM_UNAVAILABLE naming what was unavailable', async () => {
    await assert.rejects(
      withJetStream(
        'config store (KV bucket hs-config)',
        async () => {
          throw new JetStreamNotEnabled('jetstream is not enabled');
        },
        250,
      ),
      (err: unknown) =>
        isHubspokeError(err, ErrorCode.JetStreamUnavailable) &&
        /config store \(KV bucket hs-config\) is unavailable: jetstream is not enabled/.test(String(err)) &&
        (err as Error).cause instanceof JetStreamNotEnabled,
    );
  });

  test('other errors pass through at once, unchanged', async () => {
    let calls = 0;
    const bad = new HubspokeError(ErrorCode.InvalidKey, 'nope');
    await assert.rejects(
      withJetStream(
        'x',
        async () => {
          calls++;
          throw bad;
        },
        5000,
      ),
      (err: unknown) => err === bad,
    );
    assert.equal(calls, 1);
    assert.equal(isJetStreamUnavailable(new Error('wrong last sequence: 4')), false);
    assert.equal(isJetStreamUnavailable(Object.assign(new Error('timeout'), { name: 'TimeoutError' })), true);
    assert.equal(isJetStreamUnavailable(new Error('JetStream system temporarily unavailable')), true);
  });
});
