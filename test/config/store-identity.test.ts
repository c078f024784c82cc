// Every revision or sequence an edge keeps counts in one store at the hub. Against a hub whose store is new
// (state lost and rebuilt, or the edge moved to another environment) the edge must take the new store's
// objects and events whatever their numbers, not ignore those at or below what it kept.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode } from '@hubspoke/edge-node';
import { FileKV } from '@hubspoke/runtime';
import { Direction } from '@hubspoke/sdk';
import { testLog } from '../fixtures/fabric.js';
import { Recorder } from '../fixtures/recorder.js';
import { startNatsServer, waitFor } from '../helpers/index.js';

describe('state an edge keeps is tied to the store it came from', { timeout: 120_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hubspoke-store-id-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('an edge that kept revision 5 gets config.put objects of a fresh hub (revisions from 1)', async () => {
    const stateDir = join(dir, 'cfg');
    const edgeOpts = (natsUrl: string, rec: Recorder) => ({
      natsUrl,
      edgeId: 'edge-s1',
      namespace: 'eu',
      log: testLog(),
      heartbeatMs: 500,
      stateDir,
      plugins: [rec],
    });
    {
      await using old = await startNatsServer({ domain: 'hub' });
      const cp = await startControlPlane({ natsUrl: old.url, log: testLog() });
      try {
        // Revision 1 of the store is its id (key `_store`).
        for (let i = 0; i < 3; i++) await cp.config.put('filler', i, { namespace: 'eu' });
        const rev = await cp.config.put('feature.x', { v: 'old' }, { namespace: 'eu' });
        assert.equal(rev, 5);
        const rec = new Recorder('rec');
        const edge = await startEdgeNode(edgeOpts(old.url, rec));
        await waitFor(async () => (await rec.services.edge?.config.get('feature.x')) !== undefined, {
          timeoutMs: 15_000,
        });
        await edge.close();
      } finally {
        await cp.close();
      }
    }
    const kept = await readFile(join(stateDir, 'kv', '_config.kv.json'), 'utf8');
    assert.match(kept, /./, 'the edge kept its config (revision 5) in its state dir');

    await using fresh = await startNatsServer({ domain: 'hub' });
    const cp = await startControlPlane({ natsUrl: fresh.url, log: testLog() });
    const r1 = await cp.config.put('feature.x', { v: 'new' }, { namespace: 'eu' });
    assert.equal(r1, 2, 'the fresh store counts from its own start (its id took revision 1)');
    const rec = new Recorder('rec');
    const edge = await startEdgeNode(edgeOpts(fresh.url, rec));
    try {
      const config = rec.services.edge?.config;
      assert.ok(config);
      await waitFor(async () => ((await config.get('feature.x')) as { v: string } | undefined)?.v === 'new', {
        timeoutMs: 15_000,
        message: 'revision 2 of the new store, in the snapshot at start, replaces kept revision 5',
      });
      const r3 = await cp.config.put('feature.x', { v: 'newer' }, { namespace: 'eu' });
      assert.equal(r3, 3);
      await waitFor(async () => ((await config.get('feature.x')) as { v: string } | undefined)?.v === 'newer', {
        timeoutMs: 15_000,
        message: 'the pushed revision 3 reaches the edge that kept revision 5',
      });
      await waitFor(async () => (await config.get('filler')) === undefined, {
        timeoutMs: 15_000,
        message: "the old store's objects the new one lacks are gone",
      });
      const r2 = await cp.config.put('feature.y', 'yes');
      await waitFor(async () => (await config.get('feature.y')) === 'yes', { timeoutMs: 15_000 });
      const info = await waitFor(
        async () => (await cp.edges.list()).find((e) => e.edgeId === 'edge-s1' && e.appliedRevision === r2),
        { timeoutMs: 15_000, message: 'the applied revision is counted in the new store (not 5)' },
      );
      assert.equal(info.latestRevision, r2);
    } finally {
      await edge.close();
      await cp.close();
    }
  });

  test('an edge whose kept record has no store id (an older edge) takes the hub store whatever the revision', async () => {
    const stateDir = join(dir, 'legacy');
    await using hub = await startNatsServer({ domain: 'hub' });
    const cp = await startControlPlane({ natsUrl: hub.url, log: testLog() });
    const rev = await cp.config.put('feature.x', { v: 'hub' }, { namespace: 'eu' });
    // What an older edge kept: revision 9 of a store without id, under `<scope>.<key>` of its `_config` KV.
    const record = { scope: 'eu', key: 'feature.x', revision: 9, value: { v: 'kept' } };
    const kept = new FileKV(join(stateDir, 'kv'), '_config');
    await kept.put('eu.feature.x', JSON.stringify(record));
    await kept.close();
    const rec = new Recorder('rec');
    const edge = await startEdgeNode({
      natsUrl: hub.url,
      edgeId: 'edge-old',
      namespace: 'eu',
      log: testLog(),
      stateDir,
      plugins: [rec],
    });
    try {
      await waitFor(async () => (await rec.services.edge?.config.get('feature.x')) as { v: string }, {
        timeoutMs: 15_000,
      }).then((v) => assert.deepEqual(v, { v: 'hub' }, `revision ${rev} of the hub's store replaced kept revision 9`));
    } finally {
      await edge.close();
      await cp.close();
    }
  });

  test("a recreated durable Down stream's events are not skipped by an edge that kept a higher sequence", async () => {
    const stateDir = join(dir, 'down');
    const edgeOpts = (natsUrl: string, rec: Recorder) => ({
      natsUrl,
      edgeId: 'edge-d1',
      namespace: 'eu',
      log: testLog(),
      stateDir,
      plugins: [rec],
    });
    const topics = (rec: Recorder) => rec.events.map((e) => (e.payload as { n: string }).n);
    {
      await using old = await startNatsServer({ domain: 'hub' });
      const cp = await startControlPlane({ natsUrl: old.url, log: testLog() });
      const rec = new Recorder('rec', 'news.>');
      const edge = await startEdgeNode(edgeOpts(old.url, rec));
      for (let i = 0; i < 5; i++)
        await cp.events.publish('news.item', { n: `old-${i}` }, Direction.Down, { durable: true });
      await waitFor(() => rec.events.length >= 5, { timeoutMs: 15_000, message: `old events ${rec.events.length}/5` });
      await edge.close();
      await cp.close();
    }
    const keptDown = await readFile(join(stateDir, 'kv', '_system.kv.json'), 'utf8');
    assert.match(keptDown, /down\.last-seq/, 'the edge kept its last durable Down sequence');
    await using fresh = await startNatsServer({ domain: 'hub' });
    const cp = await startControlPlane({ natsUrl: fresh.url, log: testLog() });
    // Sequences 1 and 2 of the new stream, sent while the edge (which kept sequence 5) was away.
    await cp.events.publish('news.item', { n: 'missed-1' }, Direction.Down, { durable: true });
    await cp.events.publish('news.item', { n: 'missed-2' }, Direction.Down, { durable: true });
    const rec = new Recorder('rec', 'news.>');
    const edge = await startEdgeNode(edgeOpts(fresh.url, rec));
    try {
      await waitFor(() => rec.events.length >= 2, {
        timeoutMs: 15_000,
        message: `missed events of the new stream caught up (${topics(rec)})`,
      });
      await cp.events.publish('news.item', { n: 'live-3' }, Direction.Down, { durable: true });
      await waitFor(() => rec.events.length >= 3, { timeoutMs: 15_000, message: `live event 3 (${topics(rec)})` });
      assert.deepEqual(topics(rec), ['missed-1', 'missed-2', 'live-3'], 'each once, in order');
    } finally {
      await edge.close();
      await cp.close();
    }
  });
});
