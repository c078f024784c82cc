import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isHubspokeError } from '@hubspoke/sdk';
import { resolveSettings, tlsOption, type NodeKind, type SettingsInput } from './settings.js';

const EDGE_ARGS = ['--nats', 'nats://flag:4222', '--edge-id', 'edge-1', '--namespace', 'eu'];

function input(argv: string[], env: Record<string, string> = {}, files: Record<string, string> = {}): SettingsInput {
  return {
    argv,
    env,
    cwd: '/work/site',
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return text;
    },
  };
}

function options(kind: NodeKind, i: SettingsInput): Record<string, unknown> {
  const r = resolveSettings(kind, i);
  assert.equal(r.help, false);
  return r.help ? {} : (r.options as Record<string, unknown>);
}

/** The HS_ERR_CONFIG_INVALID message of a resolve that must fail. */
function problem(kind: NodeKind, i: SettingsInput): string {
  try {
    resolveSettings(kind, i);
  } catch (err) {
    assert.ok(isHubspokeError(err, 'HS_ERR_CONFIG_INVALID'), String(err));
    return (err as Error).message;
  }
  assert.fail('expected HS_ERR_CONFIG_INVALID');
}

describe('precedence: flags > env > file > defaults', () => {
  const file = JSON.stringify({ natsUrl: 'nats://file:4222', edgeId: 'from-file', namespace: 'eu', stateDir: 'state' });
  const files = { '/etc/hs/edge.json': file };

  test('a flag beats the environment, which beats the file', () => {
    const env = {
      HUBSPOKE_NATS_URL: 'nats://env:4222',
      HUBSPOKE_EDGE_ID: 'from-env',
      HUBSPOKE_CONFIG: '/etc/hs/edge.json',
    };
    const o = options('edge', input(['--nats', 'nats://flag:4222'], env, files));
    assert.equal(o['natsUrl'], 'nats://flag:4222');
    assert.equal(o['edgeId'], 'from-env');
    assert.equal(o['namespace'], 'eu');
  });

  test('defaults fill what no source sets', () => {
    const o = options('edge', input(EDGE_ARGS));
    assert.deepEqual(o['plugins'], []);
    assert.equal(o['logLevel'], 'info');
    assert.equal(o['kv'], 'auto');
    assert.equal(o['stateDir'], undefined);
    assert.equal(options('control', input(['--nats', 'nats://h:4222']))['kvBucket'], 'hs-kv');
  });

  test('--config beats HUBSPOKE_CONFIG', () => {
    const other = { '/work/site/other.json': JSON.stringify({ natsUrl: 'nats://other:4222' }), ...files };
    const o = options('control', input(['--config', 'other.json'], { HUBSPOKE_CONFIG: '/etc/hs/edge.json' }, other));
    assert.equal(o['natsUrl'], 'nats://other:4222');
  });

  test('a list comes whole from the highest source that sets it', () => {
    const f = { '/c.json': JSON.stringify({ natsUrl: 'nats://h:4222', plugins: ['/p/a.js', '/p/b.js'] }) };
    const o = options('control', input(['--config', '/c.json', '--plugin', '/p/c.js'], {}, f));
    assert.deepEqual(o['plugins'], ['/p/c.js']);
  });

  test('the result is frozen', () => {
    const r = resolveSettings('edge', input(EDGE_ARGS));
    assert.ok(!r.help && Object.isFrozen(r.options));
  });
});

describe('flags and environment variables', () => {
  test('--plugin repeats, takes commas, and resolves against the cwd', () => {
    const o = options('edge', input([...EDGE_ARGS, '--plugin', 'a.js', '--plugin', './b.js,/abs/c.js']));
    assert.deepEqual(o['plugins'], ['/work/site/a.js', '/work/site/b.js', '/abs/c.js']);
  });

  test('HUBSPOKE_PLUGINS is comma-separated; every variable is read', () => {
    const env = {
      HUBSPOKE_NATS_URL: 'nats://a:4222, nats://b:4222',
      HUBSPOKE_EDGE_ID: 'edge-7',
      HUBSPOKE_NAMESPACE: 'us',
      HUBSPOKE_PLUGINS: 'x.js, y.js,,',
      HUBSPOKE_CREDS: 'edge.nk',
      HUBSPOKE_STATE_DIR: '/var/lib/hs',
      HUBSPOKE_LOG_LEVEL: 'debug',
    };
    const o = options('edge', input([], env));
    assert.deepEqual(o['natsUrl'], ['nats://a:4222', 'nats://b:4222']);
    assert.equal(o['edgeId'], 'edge-7');
    assert.equal(o['namespace'], 'us');
    assert.deepEqual(o['plugins'], ['/work/site/x.js', '/work/site/y.js']);
    assert.equal(o['credentials'], '/work/site/edge.nk');
    assert.equal(o['stateDir'], '/var/lib/hs');
    assert.equal(o['logLevel'], 'debug');
  });

  test('an empty variable counts as unset', () => {
    const o = options('edge', input(EDGE_ARGS, { HUBSPOKE_LOG_LEVEL: '', HUBSPOKE_CREDS: ' ' }));
    assert.equal(o['logLevel'], 'info');
    assert.equal(o['credentials'], undefined);
  });

  test('the control plane ignores edge-only variables', () => {
    const o = options(
      'control',
      input(['--nats', 'nats://h:4222'], { HUBSPOKE_EDGE_ID: 'e', HUBSPOKE_STATE_DIR: '/s' }),
    );
    assert.equal(o['edgeId'], undefined);
    assert.equal(o['stateDir'], undefined);
  });

  test('--help asks for help without validating anything', () => {
    assert.deepEqual(resolveSettings('edge', input(['--help', '--edge-id', 'bad id!'])), { help: true });
    assert.deepEqual(resolveSettings('control', input(['-h'])), { help: true });
  });
});

describe('config file', () => {
  test('takes runtime options by their keys; relative paths are relative to the file', () => {
    const file = {
      natsUrl: ['nats://h1:4222', 'nats://h2:4222'],
      edgeId: 'edge-eu-1',
      namespace: 'eu',
      plugins: ['./plugins/a.js', { plugin: '../b.js', config: { ttlMs: 5 } }],
      credentials: 'edge.nk',
      stateDir: '/var/lib/hubspoke',
      kv: 'file',
      queueSize: 64,
      connectTimeoutMs: 1000,
      timeouts: { initializeMs: 500 },
      logLevel: 'warn',
    };
    const o = options(
      'edge',
      input(['--config', '/etc/hs/edge.json'], {}, { '/etc/hs/edge.json': JSON.stringify(file) }),
    );
    assert.deepEqual(o['natsUrl'], ['nats://h1:4222', 'nats://h2:4222']);
    assert.deepEqual(o['plugins'], ['/etc/hs/plugins/a.js', { plugin: '/etc/b.js', config: { ttlMs: 5 } }]);
    assert.equal(o['credentials'], '/etc/hs/edge.nk');
    assert.equal(o['kv'], 'file');
    assert.equal(o['queueSize'], 64);
    assert.deepEqual(o['timeouts'], { initializeMs: 500 });
    assert.equal(o['logLevel'], 'warn');
  });

  test("an out-of-process plugin is given by its command; it runs in the file's folder unless cwd says otherwise", () => {
    const file = {
      natsUrl: 'nats://h1:4222',
      plugins: [
        { command: ['python3', 'plugin.py'], env: { LEVEL: '2' } },
        { command: ['node', 'p.js'], cwd: '../plugins', handlerTimeoutMs: 5000 },
        { address: '127.0.0.1:7000', token: 't' },
      ],
    };
    const o = options(
      'control',
      input(['--config', '/etc/hs/cp.json'], {}, { '/etc/hs/cp.json': JSON.stringify(file) }),
    );
    assert.deepEqual(o['plugins'], [
      { command: ['python3', 'plugin.py'], env: { LEVEL: '2' }, cwd: '/etc/hs' },
      { command: ['node', 'p.js'], cwd: '/etc/plugins', handlerTimeoutMs: 5000 },
      { address: '127.0.0.1:7000', token: 't' },
    ]);
    const bad = { '/c.json': JSON.stringify({ natsUrl: 'nats://h:1', plugins: [{ command: [] }] }) };
    assert.match(problem('control', input(['--config', '/c.json'], {}, bad)), /plugins\.0/);
  });

  test('an unreadable file, bad JSON or a non-object is reported', () => {
    assert.match(problem('control', input(['--config', '/none.json'])), /config file \/none\.json: cannot be read/);
    const bad = { '/bad.json': '{ natsUrl: ', '/list.json': '[1]' };
    assert.match(problem('control', input(['--config', '/bad.json'], {}, bad)), /\/bad\.json: is not valid JSON/);
    assert.match(problem('control', input(['--config', '/list.json'], {}, bad)), /must hold a JSON object/);
  });

  test('an unknown key is named', () => {
    const f = { '/c.json': JSON.stringify({ natsUrl: 'nats://h:4222', natsURL: 'x', log: {} }) };
    const msg = problem('control', input(['--config', '/c.json'], {}, f));
    assert.match(msg, /natsURL: unknown setting \(in config file \/c\.json\)/);
    assert.match(msg, /log: unknown setting/);
  });
});

describe('bad values', () => {
  test('name the field and where the value came from', () => {
    const msg = problem('edge', input(['--edge-id', 'bad id!', '--namespace', 'eu', '--nats', 'nats://127.0.0.1:1']));
    assert.match(msg, /^HS_ERR_CONFIG_INVALID: edge node configuration is invalid: edgeId: must be 1-64 characters/);
    assert.match(msg, /\(from --edge-id\)/);
  });

  test('every bad field is reported at once', () => {
    const env = { HUBSPOKE_NAMESPACE: '_reserved', HUBSPOKE_LOG_LEVEL: 'loud' };
    const f = { '/c.json': JSON.stringify({ queueSize: 0 }) };
    const msg = problem('edge', input(['--config', '/c.json', '--nats', 'http://h', '--edge-id', 'e1'], env, f));
    assert.match(msg, /natsUrl: must be a NATS URL.*\(from --nats\)/);
    assert.match(msg, /namespace: must be 1-64 characters.*\(from HUBSPOKE_NAMESPACE\)/);
    assert.match(msg, /logLevel: .*\(from HUBSPOKE_LOG_LEVEL\)/);
    assert.match(msg, /queueSize: .*\(from config file \/c\.json\)/);
  });

  test('a missing required setting says how to set it', () => {
    const msg = problem('edge', input(['--nats', 'nats://h:4222']));
    assert.match(msg, /edgeId: required \(set --edge-id, HUBSPOKE_EDGE_ID or "edgeId" in the config file\)/);
    assert.match(msg, /namespace: required/);
  });
});

describe('unknown flags and arguments', () => {
  test('an unknown flag is named', () => {
    assert.match(problem('edge', input([...EDGE_ARGS, '--nat', 'x'])), /--nat: unknown flag/);
  });

  test('an edge-only flag is unknown to the control plane', () => {
    assert.match(problem('control', input(['--nats', 'nats://h:4222', '--edge-id', 'e1'])), /--edge-id: unknown flag/);
  });

  test('every unknown flag, missing value and stray argument is reported together', () => {
    const msg = problem('edge', input(['--foo', '--bar=1', 'stray', '--nats']));
    assert.match(msg, /--foo: unknown flag/);
    assert.match(msg, /--bar: unknown flag/);
    assert.match(msg, /"stray": unexpected argument/);
    assert.match(msg, /--nats: needs a value/);
  });
});

describe('TLS flags', () => {
  test('--tls-ca, --tls-cert and --tls-key become the runtime tls option; flags win over the file', () => {
    assert.equal(tlsOption({}), undefined);
    assert.deepEqual(tlsOption({ tlsCa: '/ca.pem' }), { ca: '/ca.pem' });
    assert.deepEqual(tlsOption({ tlsCa: '/ca.pem', tlsCert: '/c.pem', tlsKey: '/k.pem' }), {
      ca: '/ca.pem',
      cert: '/c.pem',
      key: '/k.pem',
    });
    assert.deepEqual(tlsOption({ tls: { ca: '/file-ca.pem', cert: '/c', key: '/k' }, tlsCa: '/flag-ca.pem' }), {
      ca: '/flag-ca.pem',
      cert: '/c',
      key: '/k',
    });
    assert.throws(
      () => tlsOption({ tlsCa: '/ca.pem', tlsCert: '/c.pem' }),
      (e: unknown) => isHubspokeError(e, 'HS_ERR_CONFIG_INVALID'),
    );
    assert.throws(() => tlsOption({ tlsKey: '/k.pem', tlsCert: '/c.pem' }), /need --tls-ca/);
  });

  test('a relative --tls-ca is taken from the cwd and the runtime schema checks the file tls block', () => {
    const r = resolveSettings(
      'edge',
      input(['--nats', 'nats://h:4222', '--edge-id', 'e', '--namespace', 'n', '--tls-ca', 'ca.pem']),
    );
    assert.ok(!r.help);
    assert.equal((r.options as { tlsCa?: string }).tlsCa, '/work/site/ca.pem');
    assert.throws(
      () =>
        resolveSettings(
          'control',
          input(
            ['--nats', 'nats://h:4222', '--config', 'c.json'],
            {},
            {
              '/work/site/c.json': JSON.stringify({ tls: { ca: 'a', cert: 'c' } }),
            },
          ),
        ),
      /tls: cert and key go together/,
    );
  });
});

describe('--gateway', () => {
  test('gives the listen address; the file may give the whole gateway object; bad limits are named', () => {
    const g = options('edge', input([...EDGE_ARGS, '--gateway', '127.0.0.1:8080']))['gateway'] as { listen: string };
    assert.equal(g.listen, '127.0.0.1:8080');
    const files = { '/work/site/e.json': JSON.stringify({ gateway: { listen: ':0', maxBodyBytes: 2048 } }) };
    const f = options('edge', input([...EDGE_ARGS, '--config', 'e.json'], {}, files))['gateway'] as {
      maxBodyBytes: number;
      hookTimeoutMs: number;
    };
    assert.equal(f.maxBodyBytes, 2048);
    assert.equal(f.hookTimeoutMs, 200);
    const bad = { '/work/site/e.json': JSON.stringify({ gateway: { listen: ':0', hookTimeoutMs: -1 } }) };
    assert.match(problem('edge', input([...EDGE_ARGS, '--config', 'e.json'], {}, bad)), /gateway\.hookTimeoutMs/);
    assert.match(problem('control', input(['--nats', 'nats://x:1', '--gateway', ':0'])), /--gateway: unknown flag/);
  });
});
