import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import {
  dockerAvailable,
  freePort,
  PortInUseError,
  startCluster,
  startNatsServer,
  trackedProcessCount,
  waitFor,
} from './index.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

test('freePort gives a loopback port other than the shared 4222', async () => {
  const port = await freePort();
  assert.ok(port > 1024 && port < 65536 && port !== 4222);
});

test('pub/sub; SIGKILL and restart on the same port; the client reconnects and its subscription resumes', async () => {
  await using server = await startNatsServer();
  assert.match(server.url, /^nats:\/\/127\.0\.0\.1:\d+$/);
  assert.notEqual(server.port, 4222);
  assert.ok(server.running && server.pid !== undefined);
  assert.match(server.logs(), /Server is ready/);

  const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  try {
    const received: string[] = [];
    nc.subscribe('t.>', { callback: (_err, msg) => void received.push(msg.string()) });
    await nc.flush();
    nc.publish('t.one', text('before'));
    await waitFor(() => received.includes('before'), { message: 'first message not received' });

    const { port, storeDir } = server;
    await server.kill();
    assert.equal(server.running, false);
    assert.equal(server.pid, undefined);
    await server.restart();
    assert.equal(server.port, port);
    assert.equal(server.storeDir, storeDir);

    // Publishes made while reconnecting are buffered by nats.js; keep publishing until one arrives.
    await waitFor(
      async () => {
        nc.publish('t.two', text('after'));
        await nc.flush();
        return received.includes('after');
      },
      { timeoutMs: 8000, intervalMs: 100, message: 'no message after restart' },
    );
  } finally {
    await nc.close();
  }
});

test('a leaf with its own JetStream domain forwards to its hub', async () => {
  await using hub = await startNatsServer({ name: 'hub', domain: 'hub', leafListen: true });
  const hubLeafUrl = hub.leafUrl ?? assert.fail('hub has no leafUrl');
  assert.match(hubLeafUrl, /^nats-leaf:\/\/127\.0\.0\.1:\d+$/);
  await using leaf = await startNatsServer({ name: 'leaf1', domain: 'leaf1', leafRemotes: [hubLeafUrl] });

  const hubNc = await connect({ servers: hub.url });
  const leafNc = await connect({ servers: leaf.url });
  try {
    const received: string[] = [];
    hubNc.subscribe('edge.>', { callback: (_err, msg) => void received.push(msg.subject) });
    await hubNc.flush();
    await waitFor(
      async () => {
        leafNc.publish('edge.leaf1.hello', text('hi'));
        await leafNc.flush();
        return received.length > 0;
      },
      { timeoutMs: 8000, intervalMs: 100, message: 'leaf message never reached the hub' },
    );
    assert.equal(received[0], 'edge.leaf1.hello');
  } finally {
    await Promise.all([hubNc.close(), leafNc.close()]);
  }
});

test('a 3-node cluster forms: R3 stream, and A to C delivery', async () => {
  await using cluster = await startCluster(3, { clusterName: 'hs-test' });
  const [a, , c] = cluster;
  assert.ok(a !== undefined && c !== undefined);
  assert.equal(new Set(cluster.map((s) => s.port)).size, 3);

  const ncA = await connect({ servers: a.url });
  const ncC = await connect({ servers: c.url });
  try {
    const jsm = await jetstreamManager(ncA);
    const info = await jsm.streams.add({ name: 'R3', subjects: ['r3.>'], num_replicas: 3 });
    assert.equal(info.config.num_replicas, 3);
    assert.equal(info.cluster?.replicas?.length, 2);

    const received: string[] = [];
    ncC.subscribe('x.>', { callback: (_err, msg) => void received.push(msg.string()) });
    await ncC.flush();
    await waitFor(
      async () => {
        ncA.publish('x.1', text('from A'));
        await ncA.flush();
        return received.includes('from A');
      },
      { message: 'message from A never reached C' },
    );
  } finally {
    await Promise.all([ncA.close(), ncC.close()]);
  }
});

test('writeConfig + reload applies an authorization block; a broken config rejects the reload', async () => {
  await using server = await startNatsServer({ jetstream: false });
  await server.writeConfig('authorization { token: "s3cret" }');
  await server.reload();
  await assert.rejects(connect({ servers: server.url, timeout: 2000, reconnect: false }));
  const nc = await connect({ servers: server.url, token: 's3cret' });
  await nc.close();

  await server.writeConfig('authorization { token: ');
  await assert.rejects(server.reload(), /Failed to reload|parse|error/i);
  assert.ok(server.running, 'a failed reload keeps the old configuration running');
});

test('a missing binary fails with the install command; a bad config fails with the log lines', async () => {
  await assert.rejects(startNatsServer({ bin: '/nonexistent/nats-server' }), /apt-get install -y nats-server/);
  await assert.rejects(startNatsServer({ extraConfig: 'no_such_option_here: {' }), /exited before it was ready/);
});

test('dispose removes the temp folder; no child is left behind', async () => {
  let dir = '';
  {
    await using server = await startNatsServer();
    dir = server.dir;
    assert.ok(existsSync(server.configPath));
  }
  assert.equal(existsSync(dir), false);
  assert.equal(trackedProcessCount(), 0);
});

test('dockerAvailable answers within its 3 s timeout', async () => {
  const started = Date.now();
  assert.equal(typeof (await dockerAvailable()), 'boolean');
  assert.ok(Date.now() - started < 4000);
});

test('restart rejects with PortInUseError when its port was taken while it was down', async () => {
  await using server = await startNatsServer({ jetstream: false });
  await server.stop();
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(server.port, '127.0.0.1', resolve));
  try {
    await assert.rejects(
      server.restart(),
      (err) => err instanceof PortInUseError && /address already in use/.test(err.message),
    );
  } finally {
    squatter.close();
  }
});

// Liveness that counts a zombie (killed, not yet reaped by whoever inherited it) as dead.
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

// Starts a server in a child Node process, which then ends the way `ending` says; returns the server's pid and dir.
async function serverInChild(ending: 'returns' | 'SIGTERM'): Promise<{ pid: number; dir: string }> {
  const index = fileURLToPath(new URL('./index.ts', import.meta.url));
  const script = `
    import { startNatsServer } from ${JSON.stringify(index)};
    const s = await startNatsServer({ jetstream: false });
    console.log(JSON.stringify({ pid: s.pid, dir: s.dir }));
    ${ending === 'SIGTERM' ? 'setInterval(() => {}, 1000);' : ''}`;
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', '--input-type=module', '-e', script];
    const child = execFile(process.execPath, args, (err, stdout) => {
      const killedAsAsked = ending === 'SIGTERM' && child.signalCode === 'SIGTERM';
      if (err && !killedAsAsked) return reject(err);
      resolve(JSON.parse(stdout) as { pid: number; dir: string });
    });
    child.stdout?.once('data', () => {
      if (ending === 'SIGTERM') child.kill('SIGTERM');
    });
  });
}

const onLinux = { skip: process.platform !== 'linux' };

test('a test process that ends, or gets SIGTERM, takes its servers and temp folders with it', onLinux, async () => {
  for (const ending of ['returns', 'SIGTERM'] as const) {
    const { pid, dir } = await serverInChild(ending);
    const message = `nats-server ${pid} outlived its parent (${ending})`;
    await waitFor(() => !alive(pid), { timeoutMs: 2000, message });
    assert.equal(existsSync(dir), false, `${dir} left behind (${ending})`);
  }
});
