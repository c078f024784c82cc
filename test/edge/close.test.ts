// close() of an edge resolves only when nothing of it writes any more: its state dir (file KV: applied config,
// the last durable Down sequence, plugins' KV) can be removed at once. A write after close made a CI teardown
// fail with `ENOTEMPTY: directory not empty, rmdir '…/kv'`.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode } from '@hubspoke/edge-node';
import { Direction } from '@hubspoke/sdk';
import { testLog } from '../fixtures/fabric.js';
import { Recorder } from '../fixtures/recorder.js';
import { startNatsServer, waitFor } from '../helpers/index.js';

test('an edge closed while config and durable Down events pour in writes nothing after close() resolves', async () => {
  await using hub = await startNatsServer({ domain: 'hub' });
  const root = await mkdtemp(join(tmpdir(), 'hubspoke-close-'));
  const cp = await startControlPlane({ natsUrl: hub.url, log: testLog() });
  let pouring = false;
  let pour: Promise<void> = Promise.resolve();
  try {
    for (let round = 0; round < 3; round++) {
      const stateDir = join(root, `edge-${round}`);
      const rec = new Recorder('rec', 'news.>');
      const edge = await startEdgeNode({
        natsUrl: hub.url,
        edgeId: `close-${round}`,
        namespace: 'eu',
        log: testLog(),
        stateDir,
        plugins: [rec],
      });
      pouring = true;
      pour = (async () => {
        for (let i = 0; pouring; i++) {
          await Promise.all([
            cp.config.put(`k${i % 20}`, { i }, { namespace: 'eu' }),
            cp.events.publish('news.item', { i }, Direction.Down, { durable: true }),
          ]);
        }
      })();
      await waitFor(() => rec.events.length >= 20, { timeoutMs: 15_000, message: 'events flow to the edge' });
      await edge.close();
      // Not `force`: a file written meanwhile makes rmdir fail with ENOTEMPTY.
      await rm(stateDir, { recursive: true });
      // More changes reach the hub after the edge closed; none may bring a write of that edge back.
      const after = rec.events.length;
      await cp.config.put('after.close', true, { namespace: 'eu' });
      pouring = false;
      await pour;
      assert.equal(rec.events.length, after, 'nothing delivered after close');
      assert.equal(existsSync(stateDir), false, `round ${round}: nothing recreated ${stateDir} after close()`);
    }
  } finally {
    pouring = false;
    await pour;
    await cp.close();
    await rm(root, { recursive: true, force: true });
  }
});
