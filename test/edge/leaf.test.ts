// The managed leaf node of an edge: real nats-server processes (hub from test/helpers, leaf from startManagedLeaf).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { startManagedLeaf, type ManagedLeaf } from '@hubspoke/edge-node';
import { createUserKey, leafPassword } from '@hubspoke/runtime';
import { ErrorCode, isHubspokeError } from '@hubspoke/sdk';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino, type Logger } from 'pino';
import { freePort, startNatsServer, waitFor } from '../helpers/index.js';

const EXITED = 'managed leaf node exited unexpectedly; restarting it on the same port and store';
const dirs: string[] = [];
const leaves: ManagedLeaf[] = [];
const conns: NatsConnection[] = [];

after(async () => {
  await Promise.allSettled(conns.map((nc) => nc.close()));
  await Promise.allSettled(leaves.map((l) => l.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hubspoke-leaf-'));
  dirs.push(dir);
  return dir;
}

/** A pino logger whose records the test can read. */
function recordingLog(): { log: Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) records.push(JSON.parse(line));
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), records };
}

async function leafFor(edgeId: string, hubUrl: string, storeDir = tempDir()) {
  const { log, records } = recordingLog();
  const leaf = await startManagedLeaf({ edgeId, hubUrl, storeDir, log });
  leaves.push(leaf);
  return { leaf, records, storeDir };
}

async function client(url: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  conns.push(nc);
  return nc;
}

/** Gone, or a zombie nobody reaped (this sandbox's pid 1 may not reap). */
function goneOrZombie(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** Publishes on `nc` until a subscriber on `hubNc` gets it: interest crosses the leaf link a little later. */
async function reachesHub(nc: NatsConnection, hubNc: NatsConnection, subject: string, timeoutMs: number) {
  const sub = hubNc.subscribe(subject);
  let got = '';
  void (async () => {
    for await (const m of sub) got = m.string();
  })();
  await hubNc.flush();
  try {
    await waitFor(
      async () => {
        nc.publish(subject, 'hello hub');
        await nc.flush();
        return got === 'hello hub';
      },
      { timeoutMs, intervalMs: 100, message: `${subject} reaches the hub` },
    );
  } finally {
    sub.unsubscribe();
  }
}

describe('managed leaf node', { timeout: 90_000 }, () => {
  test('JetStream in domain edge-<id> on leaf.url; a core message reaches a subscriber on the hub', async () => {
    await using hub = await startNatsServer({ domain: 'hub', leafListen: true });
    const { leaf, records } = await leafFor('t1', hub.leafUrl as string);
    assert.match(leaf.url, /^nats:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(leaf.domain, 'edge-t1');
    assert.equal(leaf.restarts, 0);
    assert.ok(records.some((r) => r['msg'] === 'managed leaf node started' && r['url'] === leaf.url));

    const nc = await client(leaf.url);
    const jsm = await jetstreamManager(nc, { domain: 'edge-t1' });
    await jsm.streams.add({ name: 'OUT_T1', subjects: ['out.t1.>'] });
    const ack = await jetstream(nc, { domain: 'edge-t1' }).publish('out.t1.a', 'x');
    assert.equal(ack.stream, 'OUT_T1');
    assert.equal(ack.domain, 'edge-t1');
    assert.equal(ack.seq, 1);

    const hubNc = await client(hub.url);
    await reachesHub(nc, hubNc, 'hello.t1', 10_000);
    await leaf.close();
  });

  test('starts while the hub is down, JetStream works, and it links once the hub is back', async () => {
    await using hub = await startNatsServer({ domain: 'hub', leafListen: true });
    await hub.stop();
    const { leaf } = await leafFor('t2', hub.leafUrl as string);
    const nc = await client(leaf.url);
    const jsm = await jetstreamManager(nc, { domain: leaf.domain });
    await jsm.streams.add({ name: 'OUT_T2', subjects: ['out.t2.>'] });
    const js = jetstream(nc, { domain: leaf.domain });
    for (let i = 1; i <= 5; i++) assert.equal((await js.publish(`out.t2.${i}`, `m${i}`)).seq, i);

    await hub.restart();
    const hubNc = await client(hub.url);
    await reachesHub(nc, hubNc, 'hello.t2', 15_000);
    await leaf.close();
  });

  test('SIGKILLed: restarted on the same port and store; a client reconnects and the stream kept its data', async () => {
    await using hub = await startNatsServer({ domain: 'hub', leafListen: true });
    const { leaf, records } = await leafFor('t3', hub.leafUrl as string);
    const url = leaf.url;
    const nc = await client(leaf.url);
    let reconnects = 0;
    void (async () => {
      for await (const s of nc.status()) if (s.type === 'reconnect') reconnects++;
    })();
    const jsm = await jetstreamManager(nc, { domain: leaf.domain });
    await jsm.streams.add({ name: 'OUT_T3', subjects: ['out.t3.>'] });
    const js = jetstream(nc, { domain: leaf.domain });
    for (let i = 1; i <= 10; i++) await js.publish(`out.t3.${i}`, `m${i}`);

    const first = leaf.pid as number;
    process.kill(first, 'SIGKILL');
    await waitFor(() => leaf.restarts === 1 && leaf.pid !== undefined, {
      timeoutMs: 15_000,
      message: 'the leaf is restarted',
    });
    assert.notEqual(leaf.pid, first);
    assert.equal(leaf.url, url);
    assert.ok(goneOrZombie(first));
    const warned = records.find((r) => r['msg'] === EXITED);
    assert.equal(warned?.['signal'], 'SIGKILL');
    assert.equal(warned?.['level'], 40);

    // The same client, reconnected by nats.js: the port did not move.
    await waitFor(() => reconnects === 1, { timeoutMs: 15_000, message: 'the client reconnects' });
    // (A request buffered by nats.js while it was disconnected can go unanswered: retry, with a message id.)
    const ack = await waitFor(() => js.publish('out.t3.11', 'm11', { msgID: 'm11', timeout: 2000 }), {
      timeoutMs: 15_000,
      intervalMs: 100,
      message: 'a JetStream publish after the restart',
    });
    assert.equal(ack.seq, 11, 'the 10 messages from before the kill are still in the stream');
    assert.equal((await jsm.streams.info('OUT_T3')).state.messages, 11);
    assert.equal((await jsm.streams.getMessage('OUT_T3', { seq: 3 }))?.string(), 'm3');

    const second = leaf.pid as number;
    await leaf.close();
    assert.equal(leaf.pid, undefined);
    assert.ok(goneOrZombie(second), `leaf ${second} is still running`);
    assert.equal(leaf.restarts, 1, 'close() is not a crash');
  });

  test('a restart that fails (its port taken) is tried again after a doubled wait, on the same port', async () => {
    const port = await freePort(); // no hub: the leaf keeps dialing
    const { leaf, records } = await leafFor('t8', `nats-leaf://127.0.0.1:${port}`);
    const leafPort = Number(new URL(leaf.url).port);
    process.kill(leaf.pid as number, 'SIGKILL');
    // The restart comes 250 ms after the exit: take the port before it does.
    await waitFor(() => records.some((r) => r['msg'] === EXITED), { intervalMs: 5, message: 'the exit is logged' });
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(leafPort, '127.0.0.1', resolve));
    try {
      const failed = await waitFor(() => records.find((r) => /did not restart/.test(String(r['msg']))), {
        message: 'a failed restart is logged',
      });
      assert.equal(failed['level'], 40);
      assert.equal(failed['retryInMs'], 500);
      assert.match(JSON.stringify(failed['err']), /address already in use/);
      assert.equal(leaf.restarts, 0);
      assert.equal(leaf.pid, undefined);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    await waitFor(() => leaf.restarts === 1 && leaf.pid !== undefined, { timeoutMs: 10_000, message: 'restarted' });
    assert.equal(leaf.url, `nats://127.0.0.1:${leafPort}`);
    const nc = await client(leaf.url);
    await (await jetstreamManager(nc, { domain: leaf.domain })).getAccountInfo();
    await leaf.close();
  });

  test('close() leaves no process, no pid file, and can be called again', async () => {
    const port = await freePort(); // nobody listens there: a hub that is away
    const { leaf, storeDir } = await leafFor('t4', `nats-leaf://127.0.0.1:${port}`);
    const pid = leaf.pid as number;
    assert.equal(readFileSync(join(storeDir, 'leaf.pid'), 'utf8').trim(), String(pid));
    await Promise.all([leaf.close(), leaf.close()]);
    await leaf.close();
    await waitFor(() => goneOrZombie(pid), { message: `leaf ${pid} is gone` });
    assert.equal(leaf.restarts, 0);
    assert.throws(() => readFileSync(join(storeDir, 'leaf.pid')), /ENOENT/);
    assert.match(readFileSync(leaf.logFile, 'utf8'), /Server is ready/);
  });

  test('a leaf a previous run left behind on the store is stopped before a new one starts', async () => {
    const port = await freePort();
    const hubUrl = `nats-leaf://127.0.0.1:${port}`;
    const { leaf, storeDir } = await leafFor('t5', hubUrl);
    await leaf.close();
    // As if the previous edge process had been SIGKILLed: its leaf still runs, on its config, pid file written.
    const orphan = spawn(process.env['NATS_SERVER_BIN'] ?? 'nats-server', ['-c', join(storeDir, 'leaf.conf')], {
      stdio: 'ignore',
    });
    const orphanExit = new Promise((resolve) => orphan.once('exit', resolve));
    writeFileSync(join(storeDir, 'leaf.pid'), `${orphan.pid}\n`);
    const { leaf: again, records } = await leafFor('t5', hubUrl, storeDir);
    await orphanExit;
    assert.ok(records.some((r) => r['leafPid'] === orphan.pid && /left behind/.test(String(r['msg']))));
    const nc = await client(again.url);
    const jsm = await jetstreamManager(nc, { domain: again.domain });
    await jsm.streams.add({ name: 'OUT_T5', subjects: ['out.t5.>'] });
    await again.close();
  });

  test('credentials: a creds file goes into the remote; an nkey seed becomes the leaf user name and password in the URL', async () => {
    const dir = tempDir();
    const creds = join(dir, 'edge.creds');
    writeFileSync(
      creds,
      '-----BEGIN NATS USER JWT-----\neyJ0eXAi.x.y\n------END NATS USER JWT------\n\n' +
        '-----BEGIN USER NKEY SEED-----\nSUAXXX\n------END USER NKEY SEED------\n',
    );
    const port = await freePort();
    const { log } = recordingLog();
    const storeDir = join(dir, 'store');
    const leaf = await startManagedLeaf({
      edgeId: 't6',
      hubUrl: `nats-leaf://127.0.0.1:${port}`,
      storeDir,
      credentials: creds,
      log,
    });
    leaves.push(leaf);
    assert.match(readFileSync(join(storeDir, 'leaf.conf'), 'utf8'), new RegExp(`credentials: "${creds}"`));
    await leaf.close();

    const seed = join(dir, 'edge.nk');
    const key = createUserKey();
    writeFileSync(seed, `# a comment\n${key.seed}\n`);
    const withSeed = await startManagedLeaf({
      edgeId: 't6',
      hubUrl: `nats-leaf://127.0.0.1:${port}`,
      storeDir,
      credentials: seed,
      log,
    });
    leaves.push(withSeed);
    const conf = readFileSync(join(storeDir, 'leaf.conf'), 'utf8');
    assert.ok(conf.includes(`"nats-leaf://leaf-t6:${leafPassword(key.seed, 't6')}@127.0.0.1:${port}"`), conf);
    assert.doesNotMatch(conf, /credentials:/);
    assert.equal(statSync(join(storeDir, 'leaf.conf')).mode & 0o777, 0o600);
    await withSeed.close();

    const neither = join(dir, 'neither.nk');
    writeFileSync(neither, 'SUAXXX\n');
    await assert.rejects(
      startManagedLeaf({ edgeId: 't6', hubUrl: `nats-leaf://127.0.0.1:${port}`, storeDir, credentials: neither, log }),
      (err: unknown) => isHubspokeError(err, ErrorCode.ConfigInvalid) && /neither an nkey seed file/.test(String(err)),
    );
  });

  test('start-up failures are coded errors naming the problem', async () => {
    const { log } = recordingLog();
    const dir = tempDir();
    const port = await freePort();
    const ok = { edgeId: 't7', hubUrl: `nats-leaf://127.0.0.1:${port}`, storeDir: join(dir, 'store'), log };
    const rejects = (opts: Parameters<typeof startManagedLeaf>[0], code: ErrorCode, pattern: RegExp) =>
      assert.rejects(startManagedLeaf(opts), (err: unknown) => {
        assert.ok(isHubspokeError(err, code), String(err));
        assert.match(String(err), pattern);
        return true;
      });
    await rejects({ ...ok, hubUrl: 'hub:7422' }, ErrorCode.ConfigInvalid, /hubUrl: "hub:7422" is not a leafnode URL/);
    await rejects({ ...ok, hubUrl: 'nope' }, ErrorCode.ConfigInvalid, /hubUrl: "nope" is not a URL/);
    await rejects({ ...ok, hubUrl: 'nats://u:secret@h:1' }, ErrorCode.ConfigInvalid, /"nats:\/\/u:\*\*\*@h:1"/);
    await rejects({ ...ok, hubUrl: [] }, ErrorCode.ConfigInvalid, /hubUrl: give at least one/);
    await rejects({ ...ok, edgeId: 'bad id' }, ErrorCode.ConfigInvalid, /edgeId "bad id"/);
    await rejects(
      { ...ok, bin: '/nonexistent/nats-server' },
      ErrorCode.NatsServerMissing,
      /sudo apt-get install -y nats-server/,
    );
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    await rejects(
      { ...ok, storeDir: join(file, 'store') },
      ErrorCode.ConfigInvalid,
      /storeDir .*a-file\/store is not a writable folder/,
    );
    await rejects(
      { ...ok, credentials: join(dir, 'missing.creds') },
      ErrorCode.ConfigInvalid,
      /credentials: cannot read/,
    );

    const leaf = await startManagedLeaf(ok);
    leaves.push(leaf);
    await rejects(ok, ErrorCode.ConfigInvalid, /already used by a running managed leaf/);
    await leaf.close();
  });
});
