// An out-of-process plugin on an edge: its scopes are enforced by the host exactly as in process, and config
// sync reaches it (initialize gets its config, onConfigChange is called across the process boundary, and a
// config that fails the schema it declared is rejected by the edge).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startControlPlane, type ControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode, type EdgeNode } from '@hubspoke/edge-node';
import { Direction, ErrorCode, type Event } from '@hubspoke/sdk';
import { testLog } from '../fixtures/fabric.js';
import { Recorder } from '../fixtures/recorder.js';
import { startNatsServer, waitFor, type NatsServer } from '../helpers/index.js';

const plugin = fileURLToPath(new URL('../fixtures/remote/scoped-plugin.ts', import.meta.url));

describe('out-of-process plugin: scopes and config', { timeout: 120_000 }, () => {
  let hub: NatsServer;
  let dir: string;
  let cp: ControlPlane;
  let edge: EdgeNode;
  const rec = new Recorder('rec', 'seen.>');
  const seen = (topic: string): Promise<Event> =>
    waitFor(() => rec.events.findLast((e) => e.topic === topic), { timeoutMs: 20_000 });

  before(async () => {
    hub = await startNatsServer({ domain: 'hub' });
    dir = await mkdtemp(join(tmpdir(), 'hubspoke-remote-scope-'));
    cp = await startControlPlane({ natsUrl: hub.url, log: testLog() });
    await cp.config.put('plugin.scoped', { level: 2 }, { namespace: 'eu' });
    edge = await startEdgeNode({
      natsUrl: hub.url,
      edgeId: 'remote-1',
      namespace: 'eu',
      log: testLog(),
      heartbeatMs: 300,
      stateDir: join(dir, 'e'),
      plugins: [rec, { command: [process.execPath, '--import', 'tsx', plugin] }],
    });
  });
  after(async () => {
    await edge?.close();
    await cp?.close();
    await hub?.[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
  });

  test('initialize receives the synced plugin config', async () => {
    assert.deepEqual((await seen('seen.init')).payload, { level: 2 });
  });

  test('a scope violation out of process is refused with HS_ERR_SCOPE_DENIED; what the scopes allow works', async () => {
    for (const what of ['publish-forbidden', 'subscribe-forbidden', 'kv', 'send']) {
      rec.events.length = 0;
      await edge.events.publish(`try.${what}`, {}, Direction.Local);
      const out = (await seen(`seen.${what}`)).payload as { ok: boolean; code?: string; message?: string };
      assert.equal(out.ok, false, what);
      assert.equal(out.code, ErrorCode.ScopeDenied, `${what}: ${out.message}`);
      assert.match(out.message ?? '', /plugin scoped/);
    }
    await edge.events.publish('try.config-read', {}, Direction.Local);
    assert.deepEqual((await seen('seen.config-read')).payload, { ok: true });
  });

  test('onConfigChange runs across the process boundary; a config failing the declared schema is rejected and reported', async () => {
    const good = await cp.config.put('plugin.scoped', { level: 3 }, { namespace: 'eu' });
    const change = await waitFor(
      () => rec.events.find((e) => e.topic === 'seen.config' && (e.payload as { revision: number }).revision === good),
      { timeoutMs: 20_000 },
    );
    assert.deepEqual((change.payload as { value: unknown }).value, { level: 3 });

    const bad = await cp.config.put('plugin.scoped', { level: 0 }, { namespace: 'eu' });
    const info = await waitFor(async () => (await cp.edges.list()).find((e) => e.lastError?.includes(`@${bad}`)), {
      timeoutMs: 20_000,
    });
    assert.match(info.lastError ?? '', /^HS_ERR_CONFIG_INVALID plugin\.scoped@\d+: level must be >= 1/);
    assert.ok(
      !rec.events.some((e) => e.topic === 'seen.config' && (e.payload as { revision: number }).revision === bad),
    );
  });
});
