// 200 simulated edges (edge nodes in this process) register with a control plane and acknowledge a config change.
// The times are reported (t.diagnostic), not asserted: `node --expose-gc --import tsx bench/registry-scale.ts`
// measures them, with the control plane's heap per edge, in docs/performance.md.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode, type EdgeNode } from '@hubspoke/edge-node';
import { testLog } from '../fixtures/fabric.js';
import { startNatsServer, waitFor } from '../helpers/index.js';

const N = 200;

test(
  `${N} edges register and each acknowledges a config change meant for it, and only those`,
  { timeout: 120_000 },
  async (t) => {
    await using hub = await startNatsServer({ domain: 'hub', extraConfig: 'max_connections: 1000' });
    const dir = await mkdtemp(join(tmpdir(), 'hubspoke-scale-'));
    const cp = await startControlPlane({ natsUrl: hub.url, log: testLog() });
    const edges: EdgeNode[] = [];
    try {
      const t0 = Date.now();
      for (let i = 0; i < N; i += 20) {
        const batch = Array.from({ length: Math.min(20, N - i) }, (_, j) =>
          startEdgeNode({
            natsUrl: hub.url,
            edgeId: `sim-${i + j}`,
            namespace: (i + j) % 2 ? 'eu' : 'us',
            heartbeatMs: 1000,
            log: testLog(),
            stateDir: join(dir, `sim-${i + j}`),
          }),
        );
        edges.push(...(await Promise.all(batch)));
      }
      await waitFor(async () => (await cp.edges.list()).filter((e) => e.state === 'online').length === N, {
        timeoutMs: 30_000,
      });
      const onlineMs = Date.now() - t0;

      const t1 = Date.now();
      const rg = await cp.config.put('fleet.mode', { mode: 'normal' });
      await waitFor(async () => (await cp.edges.list()).every((e) => e.appliedRevision >= rg), { timeoutMs: 30_000 });
      const globalMs = Date.now() - t1;
      const t2 = Date.now();
      const rn = await cp.config.put('fleet.mode', { mode: 'drain' }, { namespace: 'eu' });
      await waitFor(
        async () => (await cp.edges.list()).filter((e) => e.namespace === 'eu').every((e) => e.appliedRevision >= rn),
        {
          timeoutMs: 30_000,
        },
      );
      const nsMs = Date.now() - t2;

      const list = await cp.edges.list();
      assert.equal(list.length, N);
      for (const e of list) {
        assert.equal(e.latestRevision, e.namespace === 'eu' ? rn : rg, e.edgeId);
        assert.equal(e.lastError, undefined, e.edgeId);
      }
      assert.ok(
        list.filter((e) => e.namespace === 'us').every((e) => e.appliedRevision === rg),
        'us edges saw nothing of eu',
      );
      for (const e of edges.slice(0, 4)) {
        // An edge's plugins would see this through ctx.services.edge.config; the node's view is the same object.
        assert.ok(e.namespace === 'eu' || e.namespace === 'us');
      }
      t.diagnostic(
        `${N} edges online in ${onlineMs} ms; global change acknowledged by all in ${globalMs} ms; eu change by its ${N / 2} in ${nsMs} ms`,
      );
    } finally {
      await Promise.allSettled(edges.map((e) => e.close()));
      await cp.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
);
