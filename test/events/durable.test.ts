import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Direction } from '@hubspoke/sdk';
import { startControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode } from '@hubspoke/edge-node';
import { testLog } from '../fixtures/fabric.js';
import { Recorder } from '../fixtures/recorder.js';
import { startNatsServer, waitFor } from '../helpers/index.js';

describe('durable events', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hubspoke-durable-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('durable Up through a leaf survives a hub outage: every event arrives once, in order', async () => {
    await using hub = await startNatsServer({ domain: 'hub', leafListen: true });
    const rec = new Recorder('rec', 'usage.>');
    const cp = await startControlPlane({ natsUrl: hub.url, log: testLog(), plugins: [rec] });
    const edge = await startEdgeNode({
      leaf: { hubUrl: hub.leafUrl as string },
      edgeId: 'du-1',
      namespace: 'eu',
      log: testLog(),
      stateDir: join(dir, 'du-1'),
    });
    await hub.stop();
    const ids: string[] = [];
    for (let n = 0; n < 50; n++)
      ids.push(await edge.events.publish('usage.tick', { n }, Direction.Up, { durable: true }));
    assert.equal(rec.events.length, 0, 'nothing could reach the control plane yet');
    await hub.restart();
    await waitFor(() => rec.events.length >= 50, { timeoutMs: 20000, message: `got ${rec.events.length}/50` });
    assert.deepEqual(
      rec.events.map((e) => e.id),
      ids,
      'once each, in order',
    );
    assert.equal(rec.events[0]?.edgeId, 'du-1');
    assert.equal(rec.events[0]?.dir, Direction.Local);
    await edge.close();
    await cp.close();
  });

  test('durable Down: an edge that was away gets what it missed (only what addresses it), once, in order', async () => {
    await using hub = await startNatsServer({ domain: 'hub' });
    const cp = await startControlPlane({ natsUrl: hub.url, log: testLog() });
    const start = (id: string, ns: string, rec: Recorder) =>
      startEdgeNode({
        natsUrl: hub.url,
        edgeId: id,
        namespace: ns,
        log: testLog(),
        plugins: [rec],
        stateDir: join(dir, id),
      });
    const eu1 = new Recorder('rec', 'cfg.>');
    let eu = await start('dd-eu', 'eu', eu1);
    const us = new Recorder('rec', 'cfg.>');
    const usEdge = await start('dd-us', 'us', us);

    const live = await cp.events.publish('cfg.live', { n: -1 }, Direction.Down, { durable: true });
    await waitFor(() => eu1.events.some((e) => e.id === live) && us.events.some((e) => e.id === live));
    await eu.close();

    const sent: { id: string; to: string }[] = [];
    for (let n = 0; n < 12; n++) {
      const to = ['all', 'eu', 'us', 'dd-eu'][n % 4] as string;
      const opts = to === 'all' ? {} : to === 'dd-eu' ? { edgeId: 'dd-eu' } : { namespace: to };
      sent.push({ id: await cp.events.publish('cfg.changed', { n }, Direction.Down, { durable: true, ...opts }), to });
    }
    const forEu = sent.filter((s) => s.to !== 'us').map((s) => s.id);
    const eu2 = new Recorder('rec', 'cfg.>');
    eu = await start('dd-eu', 'eu', eu2);
    await waitFor(() => forEu.every((id) => eu2.events.some((e) => e.id === id)), { message: 'eu catches up' });
    assert.deepEqual(
      eu2.events.map((e) => e.id),
      forEu,
      'what it missed, in order, nothing else, nothing twice',
    );
    const after = await cp.events.publish('cfg.after', {}, Direction.Down, { durable: true });
    await waitFor(() => eu2.events.some((e) => e.id === after));
    assert.equal(eu2.events.filter((e) => e.id === after).length, 1);
    await waitFor(() => us.events.some((e) => e.id === after));
    assert.deepEqual(
      us.events.map((e) => e.id),
      [live, ...sent.filter((s) => s.to === 'all' || s.to === 'us').map((s) => s.id), after],
      'the edge that stayed got each once, live',
    );
    await eu.close();
    await usEdge.close();
    await cp.close();
  });

  test('a new edge does not get the durable history from before it existed', async () => {
    await using hub = await startNatsServer({ domain: 'hub' });
    const cp = await startControlPlane({ natsUrl: hub.url, log: testLog() });
    await cp.events.publish('cfg.old', {}, Direction.Down, { durable: true });
    const rec = new Recorder('rec', 'cfg.>');
    const edge = await startEdgeNode({
      natsUrl: hub.url,
      edgeId: 'fresh',
      namespace: 'eu',
      log: testLog(),
      plugins: [rec],
      stateDir: join(dir, 'fresh'),
    });
    const now = await cp.events.publish('cfg.new', {}, Direction.Down, { durable: true });
    await waitFor(() => rec.events.some((e) => e.id === now));
    assert.deepEqual(rec.topics(), ['cfg.new']);
    await edge.close();
    await cp.close();
  });
});
