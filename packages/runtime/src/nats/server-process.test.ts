// Real nats-server processes (NATS_SERVER_BIN or PATH) on free loopback ports; fake binaries for the edge cases.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isHubspokeError } from '@hubspoke/sdk';
import {
  NatsServerStartError,
  findNatsServer,
  freePorts,
  startNatsServerProcess,
  type NatsServerProcess,
} from './server-process.js';

const dirs: string[] = [];
const servers: NatsServerProcess[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hubspoke-server-process-'));
  dirs.push(dir);
  return dir;
}

after(() => {
  for (const s of servers) s.killNow();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function plainConfig([client]: number[]): string {
  return `listen: 127.0.0.1:${client}\n`;
}

/** Gone from the process table, or a zombie nobody reaped (this sandbox's pid 1 may not reap). */
function gone(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** The first line a NATS server sends a new client: `INFO {...}`. */
function infoLine(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = new Socket();
    let text = '';
    sock.setEncoding('utf8');
    sock.once('error', reject);
    sock.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\r\n')) {
        sock.destroy();
        resolve(text.slice(0, text.indexOf('\r\n')));
      }
    });
    sock.connect(port, '127.0.0.1');
  });
}

function fakeBin(dir: string, script: string): string {
  const path = join(dir, 'fake-nats-server');
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
  return path;
}

function holdPort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ server, port: typeof a === 'object' && a !== null ? a.port : 0 });
    });
  });
}

describe('findNatsServer', () => {
  test('NATS_SERVER_BIN wins; a non-executable one is HS_ERR_NATS_SERVER_MISSING with install hints', () => {
    const bin = fakeBin(tempDir(), 'exit 0');
    assert.equal(findNatsServer({ NATS_SERVER_BIN: bin, PATH: '' }), bin);
    assert.throws(
      () => findNatsServer({ NATS_SERVER_BIN: '/nonexistent/nats-server' }, 'the managed leaf node'),
      (err: Error) => {
        assert.ok(isHubspokeError(err, 'HS_ERR_NATS_SERVER_MISSING'), String(err));
        assert.match(err.message, /the managed leaf node needs a nats-server binary/);
        for (const hint of ['sudo apt-get install -y nats-server', 'brew install nats-server', 'docker compose']) {
          assert.ok(err.message.includes(hint), `no ${hint} in ${err.message}`);
        }
        return true;
      },
    );
  });

  test('else the first nats-server on PATH; none there is HS_ERR_NATS_SERVER_MISSING', () => {
    const dir = tempDir();
    const bin = fakeBin(dir, 'exit 0');
    const named = join(dir, 'nats-server');
    writeFileSync(named, readFileSync(bin));
    chmodSync(named, 0o755);
    assert.equal(findNatsServer({ PATH: `/nonexistent:${dir}` }), named);
    assert.throws(() => findNatsServer({ PATH: '/nonexistent' }), /HS_ERR_NATS_SERVER_MISSING: .*not on PATH/);
  });
});

describe('freePorts', () => {
  test('distinct loopback ports above 0', async () => {
    const ports = await freePorts(4);
    assert.equal(ports.length, 4);
    assert.equal(new Set(ports).size, 4);
    for (const p of ports) assert.ok(p > 0 && p < 65536, String(p));
  });
});

describe('startNatsServerProcess', { timeout: 60_000 }, () => {
  const bin = findNatsServer(process.env);

  test('starts on picked ports, answers clients, logs to its file, stops with SIGTERM and is reaped', async () => {
    const dir = tempDir();
    const logFile = join(dir, 'out.log');
    const s = await startNatsServerProcess({ bin, dir, name: 'plain', ports: 2, config: plainConfig, logFile });
    servers.push(s);
    assert.equal(s.ports.length, 2);
    assert.equal(s.configFile, join(dir, 'plain.conf'));
    assert.match(readFileSync(s.configFile, 'utf8'), new RegExp(`listen: 127.0.0.1:${s.ports[0]}`));
    assert.match(await infoLine(s.ports[0] as number), /^INFO \{/);
    assert.match(s.output(), /Server is ready/);
    await s.stop();
    // nats-server 2.9 exits with code 1 after a SIGTERM shutdown; what matters is that it exited by itself.
    assert.equal((await s.exited).signal, null);
    assert.ok(gone(s.pid), `${s.pid} still running`);
    assert.match(readFileSync(logFile, 'utf8'), /Server is ready[\s\S]*Server Exiting/);
    await s.stop(); // a second stop is a no-op
  });

  test('killNow is synchronous SIGKILL; fixed portNumbers start again on the same port', async () => {
    const dir = tempDir();
    const s = await startNatsServerProcess({ bin, dir, name: 'k', ports: 1, config: plainConfig });
    servers.push(s);
    s.killNow();
    assert.deepEqual(await s.exited, { code: null, signal: 'SIGKILL' });
    const again = await startNatsServerProcess({ bin, dir, name: 'k', portNumbers: s.ports, config: plainConfig });
    servers.push(again);
    assert.deepEqual(again.ports, s.ports);
    assert.match(await infoLine(again.ports[0] as number), /^INFO \{/);
    await again.stop();
  });

  test('a port taken meanwhile: new ports when they were picked here; an error naming it when fixed', async () => {
    const held = await holdPort();
    try {
      const dir = tempDir();
      const rendered: number[][] = [];
      const s = await startNatsServerProcess({
        bin,
        dir,
        name: 'retry',
        ports: 1,
        // The first attempt collides with the held port, as if someone took it between pick and bind.
        config: (ports) => {
          rendered.push(ports);
          return plainConfig(rendered.length === 1 ? [held.port] : ports);
        },
      });
      servers.push(s);
      assert.equal(rendered.length, 2);
      assert.notEqual(s.ports[0], held.port);
      await s.stop();

      await assert.rejects(
        startNatsServerProcess({ bin, dir, name: 'fixed', portNumbers: [held.port], config: plainConfig }),
        (err: unknown) => {
          assert.ok(err instanceof NatsServerStartError, String(err));
          assert.equal(err.code, 'HS_ERR_INTERNAL');
          assert.equal(err.portInUse, true);
          assert.match(err.message, /fixed: nats-server exited at start[\s\S]*address already in use/);
          return true;
        },
      );
    } finally {
      held.server.close();
    }
  });

  test('a bad config: NatsServerStartError with the server output', async () => {
    const dir = tempDir();
    await assert.rejects(
      startNatsServerProcess({ bin, dir, name: 'bad', ports: 1, config: ([p]) => `listen: 127.0.0.1:${p}\nnope {\n` }),
      (err: unknown) => {
        assert.ok(err instanceof NatsServerStartError, String(err));
        assert.equal(err.portInUse, false);
        assert.match(err.message, /bad: nats-server exited at start \(config .*bad\.conf\)/);
        assert.ok(err.output.length > 0);
        return true;
      },
    );
  });

  test('a binary that does not exist: HS_ERR_NATS_SERVER_MISSING', async () => {
    await assert.rejects(
      startNatsServerProcess({
        bin: '/nonexistent/nats-server',
        dir: tempDir(),
        name: 'x',
        ports: 1,
        config: plainConfig,
      }),
      /HS_ERR_NATS_SERVER_MISSING: x needs a nats-server binary\. \/nonexistent\/nats-server: /,
    );
  });

  test('never ready: rejects after readyTimeoutMs and kills it', async () => {
    const dir = tempDir();
    const pidFile = join(dir, 'pid');
    const stall = fakeBin(dir, `echo $$ > ${pidFile}; echo starting >&2; exec sleep 30`);
    await assert.rejects(
      startNatsServerProcess({ bin: stall, dir, name: 'slow', ports: 1, config: plainConfig, readyTimeoutMs: 300 }),
      /HS_ERR_INTERNAL: slow: nats-server not ready within 300 ms[\s\S]*starting/,
    );
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(gone(pid), `${pid} still running`);
  });

  test('stop escalates to SIGKILL when SIGTERM is ignored', async () => {
    const dir = tempDir();
    const stubborn = fakeBin(dir, `trap '' TERM; echo "[1] Server is ready" >&2; exec sleep 30`);
    const s = await startNatsServerProcess({ bin: stubborn, dir, name: 'stubborn', ports: 1, config: plainConfig });
    servers.push(s);
    const t0 = Date.now();
    await s.stop();
    assert.deepEqual(await s.exited, { code: null, signal: 'SIGKILL' });
    assert.ok(Date.now() - t0 >= 4900, `stopped after ${Date.now() - t0} ms`);
    assert.ok(existsSync(s.configFile));
  });
});
