// Runs the built CLI (`npx tsc -b` first) as a child process, the way a user does.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, test } from 'node:test';
import { findNatsServer, startDevNatsServer } from './dev/nats-server.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../../examples/cache-sync/', import.meta.url));
const UP = /edge-(eu|us)-\d ──up──▶ control\s+cache\.miss\s+\{"key":/;
const DOWN = /control ──down\((eu|us|all)\)──▶ edge-(eu|us)-\d\s+cache\.invalidate\s+\{"key":/;

interface Run {
  child: ChildProcess;
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor: (pattern: RegExp, timeoutMs: number) => Promise<string>;
}

const running = new Set<ChildProcess>();

/** A run the test did not wait for (it failed first) is stopped like a user would: SIGTERM, so it cleans up. */
async function stopLeftovers(): Promise<void> {
  await Promise.all(
    [...running].map((child) => {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      return gone;
    }),
  );
}

function hubspoke(args: string[], env: Record<string, string | undefined> = {}): Run {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const listeners = new Set<() => void>();
  const add = (chunk: Buffer): void => {
    text += chunk.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  running.add(child);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const waitFor = (pattern: RegExp, timeoutMs: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const m = pattern.exec(text);
        if (!m) return;
        clearTimeout(timer);
        listeners.delete(check);
        resolve(m[0]);
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${text}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  return { child, output: () => text, exit, waitFor };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    assert.equal((err as NodeJS.ErrnoException).code, 'ESRCH');
    return false;
  }
}

/**
 * Killed, though maybe not yet reaped: when the CLI dies, its killed nats-server is handed to init, and an init
 * that does not reap (some sandboxes' pid 1) leaves a zombie, which `kill(pid, 0)` still finds.
 */
function deadOrZombie(pid: number): boolean {
  if (!alive(pid)) return true;
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The nats-server pid and temp folder the dev header printed. */
function started(output: string): { pid: number; dir: string } {
  const pid = /nats-server\s+pid (\d+)/.exec(output)?.[1];
  const dir = /temp folder\s+(\S+)/.exec(output)?.[1];
  assert.ok(pid && dir, `no pid or temp folder in:\n${output}`);
  return { pid: Number(pid), dir };
}

afterEach(stopLeftovers);

describe('hubspoke dev', { timeout: 240_000 }, () => {
  test('--duration-ms: shows Up and Down flows, exits 0, leaves no nats-server and no temp folder', async () => {
    const run = hubspoke(['dev', '--duration-ms', '6000']);
    const { code } = await run.exit;
    const out = run.output();
    assert.equal(code, 0, out);
    assert.match(out, UP);
    assert.match(out, DOWN);
    assert.match(out, /auth\s+on: .*auth\.conf/, 'authorization is on by default');
    assert.doesNotMatch(out, /"level":/, 'pino lines belong in the log file, not the terminal');
    assert.match(out, /nats:\/\/127\.0\.0\.1:(\d+)/);
    assert.doesNotMatch(out, /127\.0\.0\.1:4222\b/);
    const { pid, dir } = started(out);
    assert.equal(alive(pid), false, `nats-server ${pid} is still running`);
    assert.equal(existsSync(dir), false, `${dir} was not removed`);
  });

  test('the example plugin takes its config from the control plane: set through the admin API, applied by every edge; the console is served', async () => {
    const run = hubspoke(['dev', '--edges', '2']);
    const line = await run.waitFor(/ edges --admin 127\.0\.0\.1:\d+ --admin-token \S+/, 30_000);
    const [, admin, token] = / edges --admin (127\.0\.0\.1:\d+) --admin-token (\S+)/.exec(line) ?? [];
    assert.ok(admin && token, run.output());
    const set = spawn(
      process.execPath,
      [MAIN, 'config', 'set', 'plugin.cache-edge', '{"lookupMs":250}', '--admin', admin, '--admin-token', token],
      { stdio: 'ignore' },
    );
    assert.equal(await new Promise((r) => set.once('exit', r)), 0);
    // The ops console is served too, on loopback, behind the token printed beside its URL.
    const consoleLine = /ops console\s+(http:\/\/127\.0\.0\.1:\d+\/)\s+\(log in with the admin token (\S+)\)/.exec(
      run.output(),
    );
    assert.ok(consoleLine, run.output());
    const login = await fetch(`${consoleLine[1]}api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: consoleLine[2] }),
    });
    assert.equal(login.status, 200);
    await run.waitFor(/edge-eu-1 ··local··\s+cache\.config\s+\{"lookupMs":250/, 20_000);
    await run.waitFor(/edge-us-1 ··local··\s+cache\.config\s+\{"lookupMs":250/, 20_000);
    run.child.kill('SIGINT');
    assert.equal((await run.exit).code, 0, run.output());
  });

  test('--json: stdout is one JSON object per flow, the header goes to stderr', async () => {
    const child = spawn(process.execPath, [MAIN, 'dev', '--json', '--edges', '1', '--duration-ms', '4000'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise((r) => child.once('exit', r));
    assert.equal(code, 0, stderr);
    assert.match(stderr, /hubspoke dev: a NATS hub/);
    const flows = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; event: { topic: string } });
    assert.ok(flows.length > 0, stderr);
    assert.ok(flows.every((f) => ['up', 'down', 'local'].includes(f.kind) && typeof f.event.topic === 'string'));
  });

  test('each edge serves a gateway in front of the fake upstream; the printed curl command works', async () => {
    const run = hubspoke(['dev', '--edges', '2']);
    const line = await run.waitFor(
      /curl -s (http:\/\/127\.0\.0\.1:\d+\S+) -H 'Authorization: Bearer (sk-dev-[0-9a-f]+)'/,
      30_000,
    );
    const [, url, key] = /curl -s (\S+) -H 'Authorization: Bearer (\S+)'/.exec(line) ?? [];
    assert.ok(url && key, run.output());
    const r = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      body: '{"model":"fake-gpt"}',
    });
    assert.equal(r.status, 200);
    assert.ok(r.headers.get('x-request-id'));
    const body = (await r.json()) as { usage: { total_tokens: number } };
    assert.ok(body.usage.total_tokens > 0);
    assert.equal((await fetch(url, { method: 'POST', body: '{}' })).status, 401);
    run.child.kill('SIGINT');
    assert.equal((await run.exit).code, 0, run.output());
  });

  test('SIGINT closes everything and exits 0', async () => {
    const run = hubspoke(['dev']);
    await run.waitFor(UP, 20_000);
    const { pid } = started(run.output());
    run.child.kill('SIGINT');
    const { code } = await run.exit;
    assert.equal(code, 0, run.output());
    assert.match(run.output(), /stopping \(SIGINT\)/);
    assert.equal(alive(pid), false, `nats-server ${pid} is still running`);
  });

  test('a crash still kills nats-server', async () => {
    // A module preloaded into the CLI throws once the fabric runs, as a bug in it would.
    const tmp = mkdtempSync(join(tmpdir(), 'hubspoke-crash-'));
    let dir: string | undefined;
    try {
      const crash = join(tmp, 'crash.mjs');
      // It throws when the test signals it, once the fabric is running: an uncaught error at a known moment.
      writeFileSync(crash, "process.on('SIGUSR2', () => setImmediate(() => { throw new Error('boom'); }));\n");
      const run = hubspoke(['dev'], { NODE_OPTIONS: `--import=${pathToFileURL(crash).href}` });
      await run.waitFor(/ready in \d+ ms/, 20_000);
      const info = started(run.output());
      run.child.kill('SIGUSR2');
      dir = info.dir;
      const { code } = await run.exit;
      assert.notEqual(code, 0);
      assert.match(run.output(), /stopped abnormally; nats-server killed; logs kept in/);
      // SIGKILL was sent as the CLI exited; the kernel may take a moment to finish the process.
      const deadline = Date.now() + 2000;
      while (!deadOrZombie(info.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(deadOrZombie(info.pid), `nats-server ${info.pid} is still running`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  test('without nats-server: exit 1 and how to install it', async () => {
    const run = hubspoke(['dev'], { NATS_SERVER_BIN: '/nonexistent/nats-server' });
    const { code } = await run.exit;
    assert.equal(code, 1);
    for (const hint of [
      'HS_ERR_NATS_SERVER_MISSING',
      'sudo apt-get install -y nats-server',
      'brew install nats-server',
      'docker compose',
    ]) {
      assert.ok(run.output().includes(hint), `no ${hint} in:\n${run.output()}`);
    }
  });

  test('a bad flag: exit 2 naming it', async () => {
    const run = hubspoke(['dev', '--edges', '0', '--duration-ms', '100']);
    assert.equal((await run.exit).code, 2);
    assert.match(run.output(), /--edges: /);
    const unknown = hubspoke(['dev', '--verbose']);
    assert.equal((await unknown.exit).code, 2);
    assert.match(unknown.output(), /--verbose/);
  });
});

describe('hubspoke control and edge', { timeout: 120_000 }, () => {
  test('a bad edge id stops start-up with exit 2 and names edgeId', async () => {
    const run = hubspoke(['edge', '--edge-id', 'bad id!', '--namespace', 'eu', '--nats', 'nats://127.0.0.1:1']);
    const { code } = await run.exit;
    assert.equal(code, 2);
    assert.match(run.output(), /HS_ERR_CONFIG_INVALID: edge node configuration is invalid: edgeId: /);
  });

  test('an unknown flag: exit 2 naming it', async () => {
    const run = hubspoke(['control', '--nats', 'nats://127.0.0.1:1', '--plugins', 'x.js']);
    assert.equal((await run.exit).code, 2);
    assert.match(run.output(), /--plugins: unknown flag/);
  });

  test('run against a hub, take env settings, and stop cleanly on SIGTERM and SIGINT', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubspoke-cli-test-'));
    const nats = await startDevNatsServer(findNatsServer(process.env), dir);
    try {
      const control = hubspoke(['control', '--nats', nats.url, '--plugin', join(EXAMPLES, 'cache-control.js')]);
      await control.waitFor(/"msg":"node ready"/, 20_000);
      const edge = hubspoke(['edge', '--plugin', join(EXAMPLES, 'cache-edge.js')], {
        HUBSPOKE_NATS_URL: nats.url,
        HUBSPOKE_EDGE_ID: 'edge-t-1',
        HUBSPOKE_NAMESPACE: 't',
        HUBSPOKE_STATE_DIR: join(dir, 'edge'),
        HUBSPOKE_LOG_LEVEL: 'debug',
      });
      await edge.waitFor(/"msg":"node ready"/, 20_000);
      assert.match(edge.output(), /"node":"edge-t-1"/);
      edge.child.kill('SIGTERM');
      control.child.kill('SIGINT');
      const [e, c] = await Promise.all([edge.exit, control.exit]);
      assert.equal(e.code, 0, edge.output());
      assert.equal(c.code, 0, control.output());
      assert.match(edge.output(), /"msg":"node stopped"/);
      assert.match(control.output(), /"msg":"node stopped"/);
    } finally {
      await nats.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
