// What a plugin author does, from a fresh folder outside this repository: install the packed packages (npm pack
// of each workspace), write the plugin docs/plugins.md shows, run it in an edge with the installed `hubspoke`,
// and see its events arrive at a control plane. Offline: only the tarballs plus what npm already has cached.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startControlPlane, type ControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode } from '@hubspoke/edge-node';
import { testLog } from '../fixtures/fabric.js';
import { Recorder } from '../fixtures/recorder.js';
import { startNatsServer, waitFor, type NatsServer } from '../helpers/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGES = ['sdk', 'runtime', 'control-plane', 'edge-node', 'cli'];

function run(
  cmd: string,
  args: string[],
  cwd: string,
  timeoutMs = 180_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      {
        cwd,
        encoding: 'utf8',
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
        // Without NODE_TEST_CONTEXT: a node:test run started from inside a test would report to this runner.
        env: {
          ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NODE_TEST'))),
          npm_config_audit: 'false',
          npm_config_fund: 'false',
          npm_config_update_notifier: 'false',
        },
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The plugin of docs/plugins.md, as written there (the js block after the e2e marker). */
function docPlugin(): string {
  const page = readFileSync(join(ROOT, 'docs/plugins.md'), 'utf8');
  const at = page.indexOf('<!-- e2e:');
  assert.ok(at > 0, 'docs/plugins.md has the e2e marker');
  const m = /```js\n([\s\S]*?)```/.exec(page.slice(at));
  assert.ok(m, 'a js block follows the marker');
  return m[1] as string;
}

describe('packaging: the packed packages work in an empty folder outside the repository', { timeout: 600_000 }, () => {
  let work: string;
  let app: string;
  let tarballs: string[];
  let hub: NatsServer;
  let cp: ControlPlane;
  const rec = new Recorder('e2e-recorder', 'hello');

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'hubspoke-pack-'));
    assert.ok(!work.startsWith(ROOT), 'outside the repository');
    const packed = await run(
      'npm',
      ['pack', ...PACKAGES.flatMap((p) => ['-w', `packages/${p}`]), '--pack-destination', work, '--json'],
      ROOT,
    );
    assert.equal(packed.code, 0, packed.stderr);
    tarballs = readdirSync(work)
      .filter((f) => f.endsWith('.tgz'))
      .map((f) => join(work, f));
    assert.equal(tarballs.length, PACKAGES.length, readdirSync(work).join(' '));
    app = join(work, 'hello-plugin');
    await run('mkdir', ['-p', app], work);
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'hello-plugin', private: true, type: 'module' }));
    const installed = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs], app);
    assert.equal(installed.code, 0, installed.stderr);
    await writeFile(join(app, 'hello.js'), docPlugin());
    hub = await startNatsServer({ domain: 'hub' });
    cp = await startControlPlane({ natsUrl: hub.url, plugins: [rec], log: testLog() });
  });

  after(async () => {
    await cp?.close();
    await hub?.[Symbol.asyncDispose]();
    await rm(work, { recursive: true, force: true });
  });

  test('every tarball holds its build and a package.json with an exports map; the SDK main entry loads no gRPC', () => {
    for (const p of PACKAGES) {
      const dir = join(app, 'node_modules', '@hubspoke', p);
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { exports?: object; type?: string };
      assert.equal(pkg.type, 'module', p);
      assert.ok(pkg.exports, p);
      assert.ok(existsSync(join(dir, 'dist', 'index.js')), `${p}: dist/index.js`);
    }
    // Follow the SDK main entry's imports: none may reach @grpc/* or protobufjs (serve() is in ./serve).
    const sdk = join(app, 'node_modules', '@hubspoke', 'sdk', 'dist');
    const seen = new Set<string>();
    const bare = new Set<string>();
    const walk = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        const spec = m[1] as string;
        if (spec.startsWith('.')) walk(join(file, '..', spec));
        else bare.add(spec);
      }
    };
    walk(join(sdk, 'index.js'));
    assert.deepEqual(
      [...bare].filter((s) => /^@grpc|^protobufjs/.test(s)),
      [],
      `the main entry imports ${[...bare].join(', ')}`,
    );
    seen.clear();
    bare.clear();
    walk(join(sdk, 'serve.js'));
    assert.ok(bare.has('@grpc/grpc-js'), '@hubspoke/sdk/serve is where gRPC is');
  });

  test('docs/plugins.md: the installed hubspoke runs the plugin in an edge, and its events arrive', async () => {
    const version = await run(join(app, 'node_modules/.bin/hubspoke'), ['--version'], app);
    assert.equal(version.stdout.trim(), '0.1.0', version.stderr);
    const edge: ChildProcess = spawn(
      join(app, 'node_modules/.bin/hubspoke'),
      [
        'edge',
        '--nats',
        hub.url,
        '--edge-id',
        'e2e-cli',
        '--namespace',
        'dev',
        '--plugin',
        './hello.js',
        '--state-dir',
        join(work, 'state-cli'),
        '--log-level',
        'warn',
      ],
      { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    edge.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
    edge.stdout?.resume();
    try {
      await waitFor(() => rec.events.some((e) => e.edgeId === 'e2e-cli'), {
        timeoutMs: 30_000,
        message: `no hello from the CLI's edge (stderr: ${err.slice(-1000)})`,
      });
      const ev = rec.events.find((e) => e.edgeId === 'e2e-cli');
      assert.equal(ev?.origin, 'plugin:hello@e2e-cli');
      assert.equal((ev?.payload as { from?: string }).from, 'e2e-cli');
    } finally {
      const gone = new Promise((r) => edge.once('exit', r));
      edge.kill('SIGTERM');
      await gone;
    }
  });

  test("a plugin with its own copy of the SDK loads in this repository's edge node (no instanceof across copies)", async () => {
    const own = join(app, 'node_modules', '@hubspoke', 'sdk');
    assert.notEqual(own, join(ROOT, 'packages', 'sdk'));
    const edge = await startEdgeNode({
      natsUrl: hub.url,
      edgeId: 'e2e-copy',
      namespace: 'dev',
      plugins: [join(app, 'hello.js')],
      stateDir: join(work, 'state-copy'),
      log: testLog(),
    });
    try {
      await waitFor(() => rec.events.some((e) => e.edgeId === 'e2e-copy'), { timeoutMs: 20_000 });
    } finally {
      await edge.close();
    }
  });

  test('a .ts plugin without tsx beside it: HS_ERR_PLUGIN saying how to load it, no stack trace', async () => {
    await writeFile(
      join(app, 'hello.ts'),
      docPlugin().replace('async onSessionReady(ctx)', 'async onSessionReady(ctx: any)'),
    );
    const r = await run(
      join(app, 'node_modules/.bin/hubspoke'),
      [
        'edge',
        '--nats',
        hub.url,
        '--edge-id',
        'e2e-ts',
        '--namespace',
        'dev',
        '--plugin',
        './hello.ts',
        '--state-dir',
        join(work, 'state-ts'),
        '--log-level',
        'silent',
      ],
      app,
      60_000,
    );
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /^HS_ERR_PLUGIN: plugin .*hello\.ts: is TypeScript, and this Node cannot load it: install tsx beside it/,
    );
    assert.match(r.stderr, /hint: /);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  test('hubspoke new plugin NAME: the folder it writes installs and its test passes', async () => {
    const sdk = tarballs.find((t) => /hubspoke-sdk-/.test(t)) as string;
    const made = await run(
      join(app, 'node_modules/.bin/hubspoke'),
      ['new', 'plugin', 'greeter', '--sdk', `file:${sdk}`],
      work,
    );
    assert.equal(made.code, 0, made.stderr);
    const dir = join(work, 'greeter');
    assert.deepEqual(readdirSync(dir).sort(), ['README.md', 'package.json', 'plugin.js', 'plugin.test.js']);
    const installed = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], dir);
    assert.equal(installed.code, 0, installed.stderr);
    const tested = await run('npm', ['test'], dir);
    assert.equal(tested.code, 0, tested.stdout + tested.stderr);
    assert.match(tested.stdout, /# pass 2/);
    const again = await run(join(app, 'node_modules/.bin/hubspoke'), ['new', 'plugin', 'greeter'], work);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /exists; not overwritten/);
  });
});
