import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startControlPlane, type ControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode, type EdgeNode } from '@hubspoke/edge-node';
import { ErrorCode, type EdgeInfo } from '@hubspoke/sdk';
import { connect } from '@nats-io/transport-node';
import { testLog } from '../fixtures/fabric.js';
import { Recorder } from '../fixtures/recorder.js';
import { startNatsServer, waitFor, type NatsServer } from '../helpers/index.js';

const HB = 200;

describe('edge registry and heartbeats', () => {
  let hub: NatsServer;
  let dir: string;
  before(async () => {
    hub = await startNatsServer({ domain: 'hub' });
    dir = await mkdtemp(join(tmpdir(), 'hubspoke-reg-'));
  });
  after(async () => {
    await hub?.[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
  });

  const control = (plugins: Recorder[] = []): Promise<ControlPlane> =>
    startControlPlane({ natsUrl: hub.url, log: testLog(), plugins });
  const edge = (edgeId: string, namespace = 'eu'): Promise<EdgeNode> =>
    startEdgeNode({
      natsUrl: hub.url,
      edgeId,
      namespace,
      log: testLog(),
      heartbeatMs: HB,
      stateDir: join(dir, edgeId),
    });
  const find = async (cp: ControlPlane, id: string): Promise<EdgeInfo | undefined> =>
    (await cp.edges.list()).find((e) => e.edgeId === id);

  test('an edge registers at start, turns stale then offline after missed heartbeats, and online again', async () => {
    const rec = new Recorder('rec-system', 'system.edge.>');
    const cp = await control([rec]);
    try {
      const e1 = await edge('reg-1');
      const t0 = Date.now();
      // The first heartbeat went out before startEdgeNode resolved.
      const info = await waitFor(async () => {
        const e = await find(cp, 'reg-1');
        return e?.state === 'online' ? e : undefined;
      });
      assert.equal(info.namespace, 'eu');
      assert.equal(info.version, '0.1.0');
      assert.equal(info.appliedRevision, 0);
      assert.equal(info.latestRevision, 0);
      assert.equal(info.outboxDepth, 0);
      assert.equal(info.reconnects, 0);
      await waitFor(() => rec.topics().includes('system.edge.online'));
      assert.deepEqual(rec.events[0]?.payload, { edgeId: 'reg-1', namespace: 'eu' });

      // Abrupt loss: no farewell.
      await e1.node.nc.close();
      const lost = Date.now();
      await waitFor(async () => (await find(cp, 'reg-1'))?.state === 'stale', { timeoutMs: 3000 });
      const staleAt = Date.now() - lost;
      await waitFor(async () => (await find(cp, 'reg-1'))?.state === 'offline', { timeoutMs: 3000 });
      const offlineAt = Date.now() - lost;
      assert.ok(staleAt >= 1.5 * HB, `stale after ${staleAt} ms`);
      assert.ok(offlineAt >= 2.5 * HB && offlineAt < 3.5 * HB + 600, `offline after ${offlineAt} ms`);
      await waitFor(() => rec.topics().includes('system.edge.offline'));
      assert.deepEqual(rec.topics(), ['system.edge.online', 'system.edge.offline']);
      await e1.close().catch(() => undefined);

      const firstSeen = (await find(cp, 'reg-1'))?.firstSeen.getTime();
      const e2 = await edge('reg-1');
      await waitFor(async () => (await find(cp, 'reg-1'))?.state === 'online');
      await waitFor(() => rec.events.length === 3);
      assert.deepEqual(rec.topics(), ['system.edge.online', 'system.edge.offline', 'system.edge.online']);
      assert.equal((await find(cp, 'reg-1'))?.firstSeen.getTime(), firstSeen, 'firstSeen kept');
      assert.ok(firstSeen !== undefined && firstSeen >= t0 - 1000);

      // A clean close says goodbye: offline at once, long before 3.5 intervals.
      const closing = Date.now();
      await e2.close();
      await waitFor(async () => (await find(cp, 'reg-1'))?.state === 'offline', { timeoutMs: 2000 });
      assert.ok(Date.now() - closing < 2.5 * HB, 'offline on the farewell, not by timeout');
      await waitFor(() => rec.events.length === 4);
    } finally {
      await cp.close();
    }
  });

  test('a heartbeat whose body names another edge is rejected and counted', async () => {
    const cp = await control();
    const nc = await connect({ servers: hub.url });
    try {
      const body = (edgeId: string): Uint8Array =>
        Buffer.from(
          JSON.stringify({
            version: '0.1.0',
            namespace: 'eu',
            edgeId,
            health: 'ok',
            appliedRevision: 0,
            outboxDepth: 0,
            reconnects: 0,
            heartbeatMs: HB,
            time: Date.now(),
          }),
        );
      nc.publish('hs.hb.eu.spoofer', body('victim'));
      nc.publish('hs.hb.eu.spoofer', Buffer.from('not json'));
      nc.publish('hs.hb.us.spoofer', body('spoofer')); // namespace disagrees
      await nc.flush();
      await waitFor(() => cp.edges.counters.rejected === 3);
      assert.equal(await find(cp, 'victim'), undefined);
      assert.equal(await find(cp, 'spoofer'), undefined);
      nc.publish('hs.hb.eu.spoofer', body('spoofer'));
      await waitFor(async () => (await find(cp, 'spoofer'))?.state === 'online');
      assert.equal(cp.edges.counters.rejected, 3);
      assert.equal(await cp.edges.forget('spoofer'), true);
      assert.equal(await find(cp, 'spoofer'), undefined);
      assert.equal(await cp.edges.forget('spoofer'), false);
    } finally {
      await nc.close();
      await cp.close();
    }
  });

  test('two replicas: each raises its own Local events; a forget on one reaches the other through the bucket', async () => {
    const r1 = new Recorder('rec-r1', 'system.edge.>');
    const r2 = new Recorder('rec-r2', 'system.edge.>');
    const cp1 = await control([r1]);
    const cp2 = await control([r2]);
    try {
      const e = await edge('reg-two');
      await waitFor(() => r1.events.length === 1 && r2.events.length === 1);
      await e.close();
      await waitFor(() => r1.topics().join() === 'system.edge.online,system.edge.offline' && r2.events.length === 2);
      assert.deepEqual(r2.topics(), ['system.edge.online', 'system.edge.offline']);
      assert.equal((await find(cp2, 'reg-two'))?.state, 'offline');
      assert.equal(await cp1.edges.forget('reg-two'), true);
      await waitFor(async () => (await find(cp2, 'reg-two')) === undefined);
      assert.equal(r1.events.length + r2.events.length, 4, 'forgetting raises nothing');
    } finally {
      await cp2.close();
      await cp1.close();
    }
  });

  test('firstSeen survives a control-plane restart; plugins list edges through ctx.services.control', async () => {
    const cp1 = await control();
    const e = await edge('reg-keep', 'us');
    try {
      const first = await waitFor(async () => find(cp1, 'reg-keep'));
      await cp1.close();
      const rec = new Recorder('rec-after');
      const cp2 = await control([rec]);
      try {
        const again = await find(cp2, 'reg-keep');
        assert.ok(again, 'known at once from KV');
        assert.equal(again.firstSeen.getTime(), first.firstSeen.getTime());
        const seen = first.lastSeen.getTime();
        await waitFor(async () => ((await find(cp2, 'reg-keep'))?.lastSeen.getTime() ?? 0) > seen);
        assert.equal((await find(cp2, 'reg-keep'))?.firstSeen.getTime(), first.firstSeen.getTime());
        const control = rec.services.control;
        assert.ok(control);
        assert.ok((await control.edges.list()).some((x) => x.edgeId === 'reg-keep' && x.namespace === 'us'));
        assert.equal(await control.config.get('x'), undefined);
        await assert.rejects(
          control.config.get('x y'),
          (err: Error & { code?: string }) => err.code === ErrorCode.InvalidKey,
        );
      } finally {
        await cp2.close();
      }
    } finally {
      await e.close();
    }
  });
});
