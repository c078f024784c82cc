// An edge that cannot reach a control plane although its leaf reached the hub stops at start with a coded
// error naming --creds, instead of logging "node ready" and going quiet (a leaf without credentials lands in the
// hub's global account $G, where a hub with authorization has nothing).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startControlPlane, type ControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode } from '@hubspoke/edge-node';
import { addEdge, authPaths, initAuthDir } from '@hubspoke/runtime';
import { testLog } from '../fixtures/fabric.js';
import { startNatsServer, type NatsServer } from '../helpers/index.js';

describe('an edge fails loudly when no control plane can answer it', { timeout: 120_000 }, () => {
  let hub: NatsServer;
  let dir: string;
  let cp: ControlPlane | undefined;

  before(async () => {
    hub = await startNatsServer({ domain: 'hub', leafListen: true });
    dir = join(hub.dir, 'auth');
    initAuthDir(dir);
    addEdge(dir, 'loud-1', 'eu');
    await hub.writeConfig('include ./auth/auth.conf');
    await hub.restart();
  });
  after(async () => {
    await cp?.close();
    await hub?.[Symbol.asyncDispose]();
  });

  test('with no control plane on the hub: HS_ERR_NO_CONTROL_PLANE after controlPlaneWaitMs, naming --creds', async () => {
    const t0 = Date.now();
    await assert.rejects(
      startEdgeNode({
        leaf: { hubUrl: hub.leafUrl as string },
        edgeId: 'loud-1',
        namespace: 'eu',
        credentials: authPaths(dir).edge('loud-1'),
        stateDir: join(hub.dir, 'loud-none'),
        controlPlaneWaitMs: 2000,
        log: testLog(),
      }),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'HS_ERR_NO_CONTROL_PLANE', e.message);
        assert.match(e.message, /no control plane answered in 2000 ms although its leaf is linked to the hub/);
        assert.match(e.message, /--creds/);
        return true;
      },
    );
    assert.ok(Date.now() - t0 < 60_000);
  });

  test('a leaf without credentials against a hub with authorization: HS_ERR_NO_CONTROL_PLANE naming $G and --creds', async () => {
    cp = await startControlPlane({ natsUrl: hub.url, credentials: authPaths(dir).control, log: testLog() });
    // With its credentials the same edge starts (a control plane answers).
    const ok = await startEdgeNode({
      leaf: { hubUrl: hub.leafUrl as string },
      edgeId: 'loud-1',
      namespace: 'eu',
      credentials: authPaths(dir).edge('loud-1'),
      stateDir: join(hub.dir, 'loud-ok'),
      log: testLog(),
    });
    await ok.close();
    await assert.rejects(
      startEdgeNode({
        leaf: { hubUrl: hub.leafUrl as string },
        edgeId: 'loud-2',
        namespace: 'eu',
        stateDir: join(hub.dir, 'loud-g'),
        log: testLog(),
      }),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'HS_ERR_NO_CONTROL_PLANE', e.message);
        assert.match(e.message, /global account \$G/);
        assert.match(e.message, /--creds \(hubspoke edge add loud-2 --namespace eu --dir D/);
        return true;
      },
    );
  });
});
