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
import { BasePlugin, type ConfigProvider } from '@hubspoke/sdk';
import { testLog } from '../fixtures/fabric.js';
import { startNatsServer, waitFor, type NatsServer } from '../helpers/index.js';

const MAIN = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));
let token = '';

/** An edge plugin whose config must be `{ n: integer }`: the edge rejects anything else. */
class Strict extends BasePlugin implements ConfigProvider {
  constructor() {
    super({ name: 'strict', version: '1.0.0' });
  }
  getConfigSchema() {
    return { type: 'object', properties: { n: { type: 'integer' } }, additionalProperties: false };
  }
}

function hubspoke(
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      {
        env: {
          ...process.env,
          HUBSPOKE_ADMIN: undefined,
          HUBSPOKE_NATS_URL: undefined,
          HUBSPOKE_ADMIN_TOKEN: token,
          ...extraEnv,
        },
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
    token = cp.admin?.token as string;
    edge = await startEdgeNode({
      natsUrl: hub.url,
      edgeId: 'cli-cfg',
      namespace: 'eu',
      log: testLog(),
      heartbeatMs: 200,
      stateDir: join(dir, 'e'),
      plugins: [new Strict()],
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
        const r = await hubspoke(['edges', '--admin', admin]);
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

  test('set --wait: exit 0 once every edge in scope applied it; exit 1 naming the edges that rejected it', async () => {
    const ok = await hubspoke(['config', 'set', 'plugin.strict', '{"n":1}', '--wait', '--admin', admin]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /1\/1 edge\(s\) in scope applied plugin\.strict@\d+/);
    const bad = await hubspoke(['config', 'set', 'plugin.strict', '{"n":"x"}', '--wait', '--admin', admin, '--json']);
    assert.equal(bad.code, 1, bad.stderr);
    const out = JSON.parse(bad.stdout) as { edges: { edgeId: string; outcome: string; error?: string }[] };
    assert.deepEqual(
      out.edges.map((e) => [e.edgeId, e.outcome]),
      [['cli-cfg', 'rejected']],
    );
    assert.match(out.edges[0]?.error ?? '', /HS_ERR_CONFIG_INVALID plugin\.strict@\d+/);
    assert.match(bad.stderr, /1 rejected, 0 did not answer: cli-cfg/);
    const other = await hubspoke([
      'config',
      'set',
      'plugin.strict',
      '{"n":2}',
      '--wait',
      '--namespace',
      'us',
      '--admin',
      admin,
    ]);
    assert.equal(other.code, 0, 'no edge in namespace us: nothing to wait for');
    await hubspoke(['config', 'rm', 'plugin.strict', '--namespace', 'us', '--admin', admin]);
    await hubspoke(['config', 'rm', 'plugin.strict', '--admin', admin]);
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
    assert.match(badNs.stderr, /--namespace: namespace: "no way" is not a name/);
    const noAdmin = await hubspoke(['config', 'ls'], { HUBSPOKE_ADMIN: '127.0.0.1:1' });
    assert.equal(noAdmin.code, 1);
    assert.match(noAdmin.stderr, /HS_ERR_NOT_CONNECTED: cannot reach the admin API at 127\.0\.0\.1:1/);
    const ls = await hubspoke(['config', 'ls', '--json', '--admin', admin]);
    assert.deepEqual(JSON.parse(ls.stdout), []);
  });
});
