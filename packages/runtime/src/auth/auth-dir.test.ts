import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { addEdge, authPaths, initAuthDir, readAuthState, renderAuthConf, revokeEdge } from './auth-dir.js';
import { edgePermissions } from './permissions.js';
import { leafPassword, publicKeyOf, readSeedFile } from './seed.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'hubspoke-auth-unit-'));
  dirs.push(d);
  return join(d, 'auth');
}

const configInvalid = (pattern: RegExp) => (err: unknown) => {
  assert.equal((err as { code?: unknown }).code, 'HS_ERR_CONFIG_INVALID', String(err));
  assert.match(String(err), pattern);
  return true;
};

describe('auth folder', () => {
  test("edge permissions are NATS-NOTES's least privilege, with the edge's own inbox prefix", () => {
    assert.deepEqual(edgePermissions('eu', 'e1'), {
      publish: [
        'hs.evt.up.eu.e1.>',
        'hs.pay.eu.e1',
        'hs.hb.eu.e1',
        'hs.req.eu.e1.config',
        'hs.req.eu.e1.down',
        'hs.req.eu.e1.outbox',
      ],
      subscribe: [
        'hs.evt.down._all._all.>',
        'hs.evt.down.eu._all.>',
        'hs.evt.down._all.e1.>',
        'hs.evt.down.eu.e1.>',
        'hs.cfg._all._all.>',
        'hs.cfg.eu._all.>',
        'hs.cfg._all.e1.>',
        'hs.cfg.eu.e1.>',
        '_INBOX.eu.e1.>',
      ],
      allowResponses: { max: 1, expires: '1m' },
    });
    const all = JSON.stringify(edgePermissions('eu', 'e1'));
    assert.doesNotMatch(all, /\$JS|\$KV|"_INBOX\.>"|"hs\.>"|">"/);
  });

  test('init writes private seed and config files; a second init is refused', () => {
    const dir = tempDir();
    const paths = initAuthDir(dir);
    const control = readSeedFile(paths.control);
    assert.match(control.publicKey, /^U[A-Z2-7]{55}$/);
    assert.equal(readAuthState(dir).control.publicKey, control.publicKey);
    for (const f of [paths.control, paths.conf, paths.state]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const conf = readFileSync(paths.conf, 'utf8');
    assert.match(conf, new RegExp(`\\{ nkey: "${control.publicKey}" \\}`));
    assert.match(conf, /HUBSPOKE \{\n\s+jetstream: enabled/);
    assert.doesNotMatch(conf, /SU[A-Z2-7]{56}/, 'no seed in auth.conf');
    assert.throws(() => initAuthDir(dir), configInvalid(/already holds hubspoke credentials/));
  });

  test('edge add issues a seed and both users; revoke removes them and the seed', () => {
    const dir = tempDir();
    const paths = initAuthDir(dir);
    const a = addEdge(dir, 'edge-a', 'eu');
    addEdge(dir, 'edge-b', 'us');
    const seed = readSeedFile(a.seedFile);
    assert.equal(seed.publicKey, a.publicKey);
    assert.equal(statSync(a.seedFile).mode & 0o777, 0o600);
    let conf = readFileSync(paths.conf, 'utf8');
    assert.match(conf, new RegExp(`nkey: "${a.publicKey}"`));
    assert.match(conf, new RegExp(`user: "leaf-edge-a", password: "${leafPassword(seed.seed, 'edge-a')}"`));
    assert.match(conf, /"hs\.pay\.eu\.edge-a"/);
    assert.match(conf, /"_INBOX\.us\.edge-b\.>"/);
    assert.throws(() => addEdge(dir, 'edge-a', 'us'), configInvalid(/edge-a already has credentials \(namespace eu\)/));
    assert.throws(() => addEdge(dir, '_all', 'eu'), configInvalid(/edge id "_all"/));
    assert.throws(() => addEdge(dir, 'x', 'e u'), configInvalid(/namespace "e u"/));
    assert.throws(() => addEdge(dir, 'x.y', 'eu'), configInvalid(/edge id "x.y"/));

    assert.deepEqual(revokeEdge(dir, 'edge-a'), { namespace: 'eu' });
    conf = readFileSync(paths.conf, 'utf8');
    assert.doesNotMatch(conf, /edge-a/);
    assert.doesNotMatch(conf, new RegExp(a.publicKey));
    assert.match(conf, /leaf-edge-b/);
    assert.throws(() => readFileSync(authPaths(dir).edge('edge-a')), /ENOENT/);
    assert.throws(() => revokeEdge(dir, 'edge-a'), configInvalid(/"edge-a" has no credentials/));
    // Issued again after a revoke: a new key (rotation).
    assert.notEqual(addEdge(dir, 'edge-a', 'eu').publicKey, a.publicKey);
  });

  test('a folder auth init did not make, and bad seed files, are coded errors naming the file', () => {
    const dir = tempDir();
    assert.throws(() => addEdge(dir, 'e', 'eu'), configInvalid(/is not a hubspoke auth folder/));
    const paths = initAuthDir(dir);
    writeFileSync(paths.state, '{"version":2}');
    assert.throws(() => readAuthState(dir), configInvalid(/not a hubspoke auth state/));
    const bad = join(dir, 'bad.nk');
    writeFileSync(bad, 'not a seed\n');
    assert.throws(() => readSeedFile(bad), configInvalid(/bad\.nk holds no nkey seed/));
    assert.throws(() => readSeedFile(join(dir, 'missing.nk')), configInvalid(/cannot read .*missing\.nk/));
    assert.throws(
      () => publicKeyOf('SAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'),
      configInvalid(/not an nkey seed/),
    );
  });

  test('the leaf password depends on the seed and the edge id', () => {
    assert.equal(leafPassword('SUA', 'e'), leafPassword('SUA', 'e'));
    assert.notEqual(leafPassword('SUA', 'e'), leafPassword('SUB', 'e'));
    assert.notEqual(leafPassword('SUA', 'e'), leafPassword('SUA', 'f'));
    assert.match(leafPassword('SUA', 'e'), /^[A-Za-z0-9_-]{43}$/);
  });

  test('auth.conf renders edges in a stable order', () => {
    const state = {
      version: 1 as const,
      control: { publicKey: 'UC' },
      edges: {
        b: { namespace: 'n', publicKey: 'UB', leafPassword: 'pb', added: 't' },
        a: { namespace: 'n', publicKey: 'UA', leafPassword: 'pa', added: 't' },
      },
    };
    const conf = renderAuthConf(state);
    assert.ok(conf.indexOf('"UA"') < conf.indexOf('"UB"'));
  });
});
