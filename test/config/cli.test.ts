// `hubspoke config set|get|ls|rm` end to end through the built CLI and the admin API, and the config revision
// that `hubspoke edges` shows.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startControlPlane, type ControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode, type EdgeNode } from '@hubspoke/edge-node';
import { testLog } from '../fixtures/fabric.js';
import { startNatsServer, waitFor, type NatsServer } from '../helpers/index.js';

const MAIN = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));

function hubspoke(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      {
        env: { ...process.env, HUBSPOKE_ADMIN: undefined, HUBSPOKE_NATS_URL: undefined },
        encoding: 'utf8',
        timeout: 30_000,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('hubspoke config', () => {
  let hub: NatsServer;
  let cp: ControlPlane;
  let edge: EdgeNode;
  let dir: string;
  let admin: string;
  before(async () => {
    hub = await startNatsServer({ domain: 'hub' });
    dir = await mkdtemp(join(tmpdir(), 'hubspoke-config-cli-'));
    cp = await startControlPlane({ natsUrl: hub.url, log: testLog(), admin: {} });
    admin = cp.admin?.address as string;
    edge = await startEdgeNode({
      natsUrl: hub.url,
      edgeId: 'cli-cfg',
      namespace: 'eu',
      log: testLog(),
      heartbeatMs: 200,
      stateDir: join(dir, 'e'),
    });
  });
  after(async () => {
    await edge?.close();
    await cp?.close();
    await hub?.[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
  });

  test('set, get, ls and rm; the edge applies the change and `hubspoke edges` shows applied/latest', async () => {
    const set = await hubspoke(['config', 'set', 'rate.limit', '{"rps":5}', '--namespace', 'eu', '--admin', admin]);
    assert.equal(set.code, 0, set.stderr);
    const rev = Number(/revision (\d+)/.exec(set.stdout)?.[1]);
    assert.ok(rev > 0, set.stdout);

    const get = await hubspoke(['config', 'get', 'rate.limit', '--namespace', 'eu', '--admin', admin]);
    assert.equal(get.code, 0, get.stderr);
    assert.deepEqual(JSON.parse(get.stdout), { rps: 5 });
    const missing = await hubspoke(['config', 'get', 'rate.limit', '--admin', admin]);
    assert.equal(missing.code, 1, 'not set globally');
    assert.match(missing.stderr, /rate\.limit is not set globally/);

    const ls = await hubspoke(['config', 'ls', '--namespace', 'eu', '--admin', admin]);
    assert.match(
      ls.stdout,
      new RegExp(
        `^KEY\\s+SCOPE\\s+REVISION\\s+VALUE\\n rate\\.limit\\s+eu\\s+${rev}\\s+\\{"rps":5\\}`.replace('\\n ', '\\n'),
      ),
    );

    await waitFor(async () => (await cp.edges.list())[0]?.appliedRevision === rev);
    const edges = await waitFor(
      async () => {
        const r = await hubspoke(['edges', '--nats', hub.url]);
        return new RegExp(`cli-cfg\\s+eu\\s+online\\s+\\S+ ago\\s+${rev}/${rev}\\s`).test(r.stdout) ? r : undefined;
      },
      { timeoutMs: 30_000 },
    );
    assert.equal(edges.code, 0);

    const removed = await hubspoke(['config', 'rm', 'rate.limit', '--namespace', 'eu', '--admin', admin]);
    assert.equal(removed.code, 0, removed.stderr);
    const again = await hubspoke(['config', 'rm', 'rate.limit', '--namespace', 'eu', '--admin', admin]);
    assert.equal(again.code, 1);
    // The delete is a revision of its own, which the edge applies too.
    await waitFor(async () => {
      const e = (await cp.edges.list())[0];
      return e !== undefined && e.appliedRevision > rev && e.appliedRevision === e.latestRevision;
    });
  });

  test('bad input is refused with a message naming it, and nothing is stored', async () => {
    const notJson = await hubspoke(['config', 'set', 'a.b', '{rps:5}', '--admin', admin]);
    assert.equal(notJson.code, 2);
    assert.match(notJson.stderr, /the value is not JSON/);
    const badKey = await hubspoke(['config', 'set', 'a..b', '1', '--admin', admin]);
    assert.equal(badKey.code, 1);
    assert.match(badKey.stderr, /HS_ERR_INVALID_KEY|config key "a\.\.b" is invalid: token 2/);
    const badNs = await hubspoke(['config', 'set', 'a.b', '1', '--namespace', 'no way', '--admin', admin]);
    assert.notEqual(badNs.code, 0);
    assert.match(badNs.stderr, /namespace "no way" is invalid/);
    const noAdmin = await hubspoke(['config', 'ls']);
    assert.equal(noAdmin.code, 2);
    assert.match(noAdmin.stderr, /--admin: required/);
    const ls = await hubspoke(['config', 'ls', '--json', '--admin', admin]);
    assert.deepEqual(JSON.parse(ls.stdout), []);
  });
});
