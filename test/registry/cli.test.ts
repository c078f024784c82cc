// `hubspoke edges` (through the admin API) and `--metrics` end to end, through the built CLI (`npx tsc -b` first).
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startControlPlane, type ControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode } from '@hubspoke/edge-node';
import type { EdgeInfo } from '@hubspoke/sdk';
import { testLog } from '../fixtures/fabric.js';
import { startNatsServer, waitFor, type NatsServer } from '../helpers/index.js';

const MAIN = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));
let admin = '';
let token = '';

function hubspoke(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      {
        env: { ...process.env, HUBSPOKE_NATS_URL: undefined, HUBSPOKE_ADMIN: admin, HUBSPOKE_ADMIN_TOKEN: token },
        encoding: 'utf8',
        timeout: 30_000,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('hubspoke edges', () => {
  let hub: NatsServer;
  let cp: ControlPlane;
  let dir: string;
  before(async () => {
    hub = await startNatsServer({ domain: 'hub' });
    dir = await mkdtemp(join(tmpdir(), 'hubspoke-edges-cli-'));
    cp = await startControlPlane({ natsUrl: hub.url, log: testLog(), admin: {} });
    admin = cp.admin?.address as string;
    token = cp.admin?.token as string;
  });
  after(async () => {
    await cp?.close();
    await hub?.[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
  });

  test('lists edges as a table and as JSON; forget removes one', async () => {
    const empty = await hubspoke(['edges']);
    assert.equal(empty.code, 0, empty.stderr);
    const a = await startEdgeNode({
      natsUrl: hub.url,
      edgeId: 'cli-a',
      namespace: 'eu',
      log: testLog(),
      heartbeatMs: 200,
      stateDir: join(dir, 'a'),
    });
    const b = await startEdgeNode({
      natsUrl: hub.url,
      edgeId: 'cli-b',
      namespace: 'us',
      log: testLog(),
      heartbeatMs: 200,
      stateDir: join(dir, 'b'),
    });
    try {
      await waitFor(async () => (await cp.edges.list()).length === 2);
      await b.close();
      await waitFor(async () => (await cp.edges.list()).find((e) => e.edgeId === 'cli-b')?.state === 'offline');
      // The bucket is written after each heartbeat; wait until the CLI sees b's farewell too.
      const listed = await waitFor(async () => {
        const r = await hubspoke(['edges']);
        return /cli-b\s+us\s+offline/.test(r.stdout) ? r : undefined;
      });
      const lines = listed.stdout.trim().split('\n');
      assert.match(lines[0] ?? '', /^ID\s+NAMESPACE\s+STATE\s+LAST SEEN\s+CONFIG\s+OUTBOX\s+VERSION/);
      assert.match(lines[1] ?? '', /^cli-a\s+eu\s+online\s+\d+s ago\s+0\/0\s+0\s+0\.1\.0$/);
      const json = await hubspoke(['edges', '--json']);
      const edges = JSON.parse(json.stdout) as EdgeInfo[];
      assert.deepEqual(
        edges.map((e) => [e.edgeId, e.state]),
        [
          ['cli-a', 'online'],
          ['cli-b', 'offline'],
        ],
      );
      const forgot = await hubspoke(['edges', 'forget', 'cli-b']);
      assert.equal(forgot.code, 0, forgot.stderr);
      await waitFor(async () => (await cp.edges.list()).every((e) => e.edgeId !== 'cli-b'));
      const again = await hubspoke(['edges', 'forget', 'cli-b']);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /cli-b is not in the registry/);
      const bad = await hubspoke(['edges', '--bogus']);
      assert.equal(bad.code, 2);
    } finally {
      await a.close();
    }
  });

  test('hubspoke control --metrics ADDR serves /metrics and /readyz', async () => {
    const child = spawn(
      process.execPath,
      [MAIN, 'control', '--nats', hub.url, '--metrics', '127.0.0.1:0', '--log-level', 'silent', '--no-admin'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    try {
      const url = await waitFor(() => /metrics on (http:\/\/\S+)\/metrics/.exec(err)?.[1], {
        timeoutMs: 15000,
        message: err,
      });
      assert.equal((await fetch(`${url}/readyz`)).status, 200);
      assert.match(err, /no admin API \(--no-admin\)/);
      assert.match(await (await fetch(`${url}/metrics`)).text(), /hubspoke_edges\{/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
