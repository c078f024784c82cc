// Config with two control-plane replicas on one hub: either takes changes, both mirror the store, and an edge
// is served by whichever is left.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode } from '@hubspoke/edge-node';
import { testLog } from '../fixtures/fabric.js';
import { startNatsServer, waitFor } from '../helpers/index.js';

test('two replicas: a change through either reaches the edge; with one replica gone the other serves snapshots', async () => {
  await using hub = await startNatsServer({ domain: 'hub' });
  const dir = await mkdtemp(join(tmpdir(), 'hubspoke-cfg-rep-'));
  const a = await startControlPlane({ natsUrl: hub.url, log: testLog() });
  const b = await startControlPlane({ natsUrl: hub.url, log: testLog() });
  let aClosed = false;
  const opts = {
    natsUrl: hub.url,
    edgeId: 'rep-1',
    namespace: 'eu',
    log: testLog(),
    heartbeatMs: 200,
    stateDir: join(dir, 'e'),
  };
  let edge = await startEdgeNode(opts);
  try {
    const r1 = await a.config.put('k.one', 1, { namespace: 'eu' });
    const r2 = await b.config.put('k.two', 2);
    assert.ok(r2 > r1, 'one revision counter across replicas');
    for (const cp of [a, b]) {
      await waitFor(async () => (await cp.edges.list())[0]?.appliedRevision === r2);
      assert.deepEqual(
        (await cp.config.list({ namespace: 'eu' })).map((e) => e.key),
        ['k.one'],
        'each replica mirrors the store',
      );
      assert.deepEqual(await cp.config.get('k.two'), 2);
    }
    await a.close();
    aClosed = true;
    await edge.close();
    const r3 = await b.config.put('k.three', 3, { namespace: 'eu' });
    edge = await startEdgeNode(opts);
    const info = await waitFor(async () => {
      const e = (await b.edges.list())[0];
      return e?.state === 'online' && e.appliedRevision === r3 ? e : undefined;
    });
    assert.equal(info.latestRevision, r3);
  } finally {
    await edge.close();
    if (!aClosed) await a.close();
    await b.close();
    await rm(dir, { recursive: true, force: true });
  }
});
