// hubspoke auth init / edge add / edge revoke through the built CLI (`npx tsc -b` first), and a hub that
// includes what they wrote.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { connectNats, createRootLogger } from '@hubspoke/runtime';
import { startNatsServer, waitFor } from '../helpers/index.js';

const MAIN = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));

function hubspoke(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { env: { ...process.env, HUBSPOKE_AUTH_DIR: undefined }, encoding: 'utf8', timeout: 30_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('auth init, edge add and edge revoke write what a hub includes; bad use exits 2 naming the problem', async () => {
  await using hub = await startNatsServer({ domain: 'hub' });
  const dir = join(hub.dir, 'auth');
  const init = await hubspoke(['auth', 'init', '--dir', dir]);
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stdout, /control plane credentials: .*control\.nk/);
  const add = await hubspoke(['edge', 'add', 'edge-1', '--namespace', 'eu', '--dir', dir]);
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, /edge edge-1 \(namespace eu\): credentials .*edges\/edge-1\.nk/);
  assert.match(add.stdout, /--reload --hub-pid PID/);
  assert.ok(existsSync(join(dir, 'admin.token')), 'auth init writes the admin token');
  assert.match(readFileSync(join(dir, 'admin.token'), 'utf8'), /^[A-Za-z0-9_-]{43}\n$/);
  assert.equal((await hubspoke(['edge', 'add', 'edge-2', '--namespace', 'us', '--dir', dir])).code, 0);

  await hub.writeConfig('include ./auth/auth.conf');
  await hub.restart();
  const quiet = createRootLogger('test', { level: 'silent' });
  const nc = await connectNats(
    { servers: hub.url, name: 't', credentials: join(dir, 'edges', 'edge-1.nk'), timeoutMs: 5000 },
    quiet,
  );
  const closed = nc.closed();

  // --reload signals the hub's own pid: `nats-server --signal reload` refuses when leaves run on the host.
  const revoke = await hubspoke(['edge', 'revoke', 'edge-1', '--dir', dir, '--reload', '--hub-pid', String(hub.pid)]);
  assert.equal(revoke.code, 0, revoke.stderr);
  assert.match(revoke.stdout, new RegExp(`the hub \\(pid ${hub.pid}\\) reloaded it`));
  assert.ok(!existsSync(join(dir, 'edges', 'edge-1.nk')));
  assert.doesNotMatch(readFileSync(join(dir, 'auth.conf'), 'utf8'), /edge-1 /);
  await waitFor(() => nc.isClosed(), { timeoutMs: 15_000, message: 'the reload cut the revoked edge off' });
  await closed;
  assert.deepEqual(Object.keys(JSON.parse(readFileSync(join(dir, 'auth.json'), 'utf8')).revoked), ['edge-1']);
  const noPid = await hubspoke(['edge', 'revoke', 'edge-2', '--dir', dir, '--reload']);
  assert.equal(noPid.code, 2);
  assert.match(noPid.stderr, /--reload: needs the hub's pid/);

  for (const [args, pattern] of [
    [['auth', 'init', '--dir', dir], /already holds hubspoke credentials/],
    [['auth', 'init'], /--dir D is required/],
    [['auth', 'nope', '--dir', dir], /unknown subcommand "nope"/],
    [['edge', 'add', 'edge-2', '--namespace', 'eu', '--dir', dir], /edge-2 already has credentials \(namespace us\)/],
    [['edge', 'add', 'x', '--dir', dir], /--namespace NS is required/],
    [['edge', 'add', 'a.b', '--namespace', 'eu', '--dir', dir], /edge id "a\.b"/],
    [['edge', 'revoke', 'edge-1', '--dir', dir], /"edge-1" has no credentials/],
    [['edge', 'revoke', '--dir', dir], /needs an edge id/],
    [['edge', 'add', 'e', '--namespace', 'eu', '--dir', join(dir, 'missing')], /not a hubspoke auth folder/],
  ] as const) {
    const r = await hubspoke([...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
  }
  const help = await hubspoke(['auth', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /hubspoke edge revoke ID --dir D/);
});

test("auth render rewrites auth.conf with this version's permissions (after an upgrade); bad use exits 2", async () => {
  await using hub = await startNatsServer({ domain: 'hub' });
  const dir = join(hub.dir, 'auth');
  assert.equal((await hubspoke(['auth', 'init', '--dir', dir])).code, 0);
  assert.equal((await hubspoke(['edge', 'add', 'edge-1', '--namespace', 'eu', '--dir', dir])).code, 0);
  const conf = join(dir, 'auth.conf');
  const current = readFileSync(conf, 'utf8');
  // What an older version wrote: requests granted as hs.req.<ns>.<edge>.>, no grants for sourcing.
  const old = current
    .replaceAll('"hs.req.eu.edge-1.config", "hs.req.eu.edge-1.down", "hs.req.eu.edge-1.outbox"', '"hs.req.eu.edge-1.>"')
    .replaceAll(', "hs.src.eu.edge-1.>", "$JSC.R.>"', '')
    .replaceAll(', "$JS.edge-edge-1.API.>", "$JS.FC.>"', '');
  assert.notEqual(old, current, 'the test turned the file into an older one');
  writeFileSync(conf, old);
  const render = await hubspoke(['auth', 'render', '--dir', dir]);
  assert.equal(render.code, 0, render.stderr);
  assert.match(render.stdout, /rewrote .*auth\.conf; reload the hub/);
  assert.equal(readFileSync(conf, 'utf8'), current);
  // The hub takes it.
  await hub.writeConfig('include ./auth/auth.conf');
  await hub.restart();
  for (const [args, why] of [
    [['auth', 'render'], /--dir D is required/],
    [['auth', 'render', '--dir', dir, '--reload'], /needs the hub's pid/],
    [['auth', 'init', '--dir', join(hub.dir, 'other'), '--reload'], /go with auth render/],
    [['auth', 'refresh', '--dir', dir], /want init or render/],
  ] as const) {
    const r = await hubspoke([...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, why);
  }
});
