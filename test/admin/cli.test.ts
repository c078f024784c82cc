// The ops commands end to end: `hubspoke control --admin-listen 127.0.0.1:0` in a process of its own, an edge in this
// process, and `hubspoke payloads|replay|dlq` run as a user runs them (the built CLI; `npx tsc -b` first).
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startEdgeNode, type EdgeNode } from '@hubspoke/edge-node';
import { testLog } from '../fixtures/fabric.js';
import { Sender } from '../fixtures/receiver.js';
import { startNatsServer, waitFor, type NatsServer } from '../helpers/index.js';

const MAIN = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));
const PLUGIN = fileURLToPath(new URL('./receiver-plugin.js', import.meta.url));
/** The CLI's own folder for this file's runs: where `control` writes the token it makes, and the ops commands read it. */
let configDir = '';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to its end (asynchronously: the edge in this process must keep running meanwhile). */
function hubspoke(args: string[], env: Record<string, string | undefined> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      {
        env: { ...process.env, HUBSPOKE_ADMIN: undefined, HUBSPOKE_CONFIG_DIR: configDir, ...env },
        encoding: 'utf8',
        timeout: 30_000,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

interface Taken {
  taken: string;
  replayOf: string | null;
  deliveryCount: number;
}

describe('hubspoke payloads, replay and dlq against `hubspoke control --admin-listen`', () => {
  let hub: NatsServer;
  let dir: string;
  let control: ChildProcess;
  let out = '';
  let err = '';
  let admin: string;
  let edge: EdgeNode;
  const sender = new Sender();
  const taken = (): Taken[] =>
    out
      .split('\n')
      .filter((l) => l.includes('"payload taken"'))
      .map((l) => JSON.parse(l) as Taken);

  before(async () => {
    hub = await startNatsServer({ domain: 'hub' });
    dir = await mkdtemp(join(tmpdir(), 'hubspoke-cli-admin-'));
    configDir = join(dir, 'config');
    control = spawn(
      process.execPath,
      [MAIN, 'control', '--nats', hub.url, '--plugin', PLUGIN, '--admin-listen', '127.0.0.1:0'],
      {
        env: { ...process.env, HS_TEST_CURED: join(dir, 'cured'), HUBSPOKE_CONFIG_DIR: configDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    control.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    control.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
    admin = (
      await waitFor(() => /admin API listening on (127\.0\.0\.1:\d+)/.exec(err)?.[1], {
        timeoutMs: 15_000,
        message: `no admin address: ${err}`,
      })
    ).toString();
    edge = await startEdgeNode({
      natsUrl: hub.url,
      edgeId: 'cli-e',
      namespace: 'eu',
      log: testLog(),
      plugins: [sender],
      stateDir: join(dir, 'e'),
    });
  });

  after(async () => {
    await edge?.close();
    if (control && control.exitCode === null) {
      const gone = new Promise((r) => control.once('exit', r));
      control.kill('SIGTERM');
      await gone;
    }
    await hub?.[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
  });

  test('payloads, replay (dry run, then for real), dlq ls/redrive/drop, and bad input', async () => {
    const ids: string[] = [];
    for (let n = 0; n < 3; n++) ids.push((await sender.send({ n }, { correlationId: 'k1' })).id);
    const poison = (await sender.send({ poison: true })).id;
    const unwanted = (await sender.send({ unwanted: true })).id;
    await waitFor(() => taken().length === 3, { message: `control took ${taken().length}/3` });

    const list = await hubspoke(['payloads', '--admin', admin, '--json']);
    assert.equal(list.code, 0, list.stderr);
    const listed = JSON.parse(list.stdout) as { payloads: { id: string; body: string }[] };
    assert.deepEqual(
      listed.payloads.map((p) => p.id),
      [...ids, poison, unwanted],
    );
    assert.equal(Buffer.from(listed.payloads[0]!.body, 'base64').toString(), '{"n":0}');
    const table = await hubspoke(['payloads', '--edge', 'cli-e', '--correlation-id', 'k1', '--since', '-15m'], {
      HUBSPOKE_ADMIN: admin,
    });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^SEQ\s+RECEIVED\s+NAMESPACE\s+EDGE\s+ID\s+CORRELATION\s+SIZE\s+NOTE\n/);
    assert.equal(table.stdout.trim().split('\n').length, 4, 'a header and three rows');
    const one = await hubspoke(['payloads', '--admin', admin, '--id', ids[1]!]);
    assert.match(one.stdout, /correlation id:\s+k1\n[\s\S]*body \(text\):\n\{"n":1\}\n$/);

    const dry = await hubspoke(['replay', '--admin', admin, '--correlation-id', 'k1', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.stdout, 'replay: would offer 3\n');
    assert.match(
      dry.stderr,
      /^replay: scanned 5\/5, matched 3$/m,
      'plain progress lines when stderr is not a terminal',
    );

    const real = await hubspoke(['replay', '--correlation-id', 'k1', '--since', '-15m', '--edge', 'cli-e'], {
      HUBSPOKE_ADMIN: admin,
    });
    assert.equal(real.code, 0, real.stderr);
    assert.equal(real.stdout, 'replay: matched 3, offered 3, handled 3, failed 0\n');
    const replays = taken().filter((t) => t.replayOf !== null);
    assert.deepEqual(
      replays.map((t) => t.replayOf),
      ids,
      'the dry run offered nothing; the replay offered exactly these',
    );
    assert.ok(replays.every((t) => t.taken.startsWith(`${t.replayOf}.replay.`) && t.deliveryCount === 1));

    await waitFor(async () => (await hubspoke(['dlq', 'ls', '--admin', admin, '--json'])).stdout.includes(poison), {
      timeoutMs: 10_000,
    });
    const dls = JSON.parse((await hubspoke(['dlq', 'ls', '--admin', admin, '--json'])).stdout) as {
      deadLetters: { seq: number; reason: string; plugin: string; attempts: number; payload: { id: string } }[];
    };
    const byId = new Map(dls.deadLetters.map((d) => [d.payload.id, d]));
    assert.equal(byId.get(unwanted)?.attempts, 1);
    assert.equal(byId.get(poison)?.plugin, 'test-receiver');
    assert.equal(byId.get(poison)?.attempts, 5, 'maxDeliveries defaults to 5');
    assert.match(byId.get(poison)!.reason, /poison payload/);
    const lsTable = await hubspoke(['dlq', 'ls', '--admin', admin, '--plugin', 'test-receiver']);
    assert.match(
      lsTable.stdout,
      /^SEQ\s+DEAD-LETTERED\s+NAMESPACE\s+EDGE\s+ID\s+PLUGIN\s+ATTEMPTS\s+REASON\n\d+\s.*test-receiver\s+5\s+.*poison payload\n$/,
    );

    await writeFile(join(dir, 'cured'), '');
    const redrive = await hubspoke(['dlq', 'redrive', '--admin', admin, '--seq', String(byId.get(poison)!.seq)]);
    assert.equal(redrive.code, 0, redrive.stderr);
    assert.match(
      redrive.stdout,
      new RegExp(
        `^redriven: dead letter ${byId.get(poison)!.seq} -> payload seq \\d+ \\(id ${poison.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)\ndlq redrive: 1 redriven\n$`,
      ),
    );
    await waitFor(() => taken().some((t) => t.taken === poison), { message: 'the redriven payload was not taken' });

    const drop = await hubspoke(['dlq', 'drop', '--admin', admin, '--seq', String(byId.get(unwanted)!.seq)]);
    assert.equal(drop.stdout, `dlq drop: 1 dropped (${byId.get(unwanted)!.seq})\n`);
    const empty = await hubspoke(['dlq', 'ls', '--admin', admin]);
    assert.equal(empty.code, 0);
    assert.equal(empty.stdout, '');
    assert.equal(empty.stderr, 'no dead letters match\n');
    const again = await hubspoke(['dlq', 'drop', '--admin', admin, '--seq', String(byId.get(unwanted)!.seq)]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /not in the dead-letter stream: \d+/);

    const bad: [string[], RegExp][] = [
      [['replay', '--admin', admin, '--since', 'yesterday'], /--since: "yesterday" is not ISO 8601 or a relative time/],
      [
        ['replay', '--admin', admin, '--plugin', 'nope'],
        /--plugin: plugin "nope" is not loaded on this control plane \(receivers: hubspoke-gateway, test-receiver\)/,
      ],
      [['replay', '--admin', admin, '--edge', 'a.b'], /--edge: "a\.b" is not a valid edge id/],
      [['payloads', '--admin', 'nowhere'], /--admin: "nowhere" is not host:port/],
      [['payloads', '--admin', admin, '--limit', '0'], /--limit: "0" is not a whole number from 1 to 10000/],
      [['dlq', 'redrive', '--admin', admin], /--seq or --all/],
      [['dlq', 'drop', '--admin', admin, '--seq', 'x'], /--seq: "x" is not a dead-letter sequence/],
      [['dlq', 'purge', '--admin', admin], /unknown subcommand "purge"/],
      [['replay', '--admin', admin, '--frobnicate'], /--frobnicate: unknown flag/],
    ];
    for (const [args, re] of bad) {
      const r = await hubspoke(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
    const down = await hubspoke(['payloads', '--admin', '127.0.0.1:1']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /HS_ERR_NOT_CONNECTED: cannot reach the admin API at 127\.0\.0\.1:1/);
    assert.match(down.stderr, /hint: is the control plane running with its admin API\?/);
  });

  test('no token, or the wrong one: HS_ERR_UNAUTHENTICATED with a hint, never a stack trace', async () => {
    const none = await hubspoke(['payloads', '--admin', admin], { HUBSPOKE_CONFIG_DIR: join(dir, 'empty') });
    assert.equal(none.code, 1, none.stderr);
    assert.match(none.stderr, /^HS_ERR_UNAUTHENTICATED: no admin token for 127\.0\.0\.1:\d+: give --admin-token FILE/);
    assert.match(none.stderr, /\n {2}hint: give the token/);
    const wrong = await hubspoke(['edges', '--admin', admin], { HUBSPOKE_ADMIN_TOKEN: 'w'.repeat(43) });
    assert.equal(wrong.code, 1, wrong.stderr);
    assert.match(wrong.stderr, /^HS_ERR_UNAUTHENTICATED: ListEdges: the call carries no valid admin token/);
    for (const r of [none, wrong]) assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  test('contexts: add (token file), select, ls; every ops command then needs neither address nor token', async () => {
    const ctxDir = join(dir, 'ctx');
    const tokenFile = join(dir, 'token.copy');
    await writeFile(tokenFile, await readFile(join(configDir, 'admin.token'), 'utf8'));
    const env = { HUBSPOKE_CONFIG_DIR: ctxDir };
    const add = await hubspoke(
      ['context', 'add', 'lab', '--admin', admin, '--admin-token', tokenFile, '--select'],
      env,
    );
    assert.equal(add.code, 0, add.stderr);
    const other = await hubspoke(
      ['context', 'add', 'elsewhere', '--admin', '127.0.0.1:1', '--admin-token', tokenFile, '--json'],
      env,
    );
    assert.equal(JSON.parse(other.stdout).name, 'elsewhere');
    const ls = JSON.parse((await hubspoke(['context', 'ls', '--json'], env)).stdout) as {
      name: string;
      selected: boolean;
      admin: string;
    }[];
    assert.deepEqual(
      ls.map((c) => [c.name, c.selected, c.admin]),
      [
        ['elsewhere', false, '127.0.0.1:1'],
        ['lab', true, admin],
      ],
    );
    const edges = await hubspoke(['edges', '--json'], env);
    assert.equal(edges.code, 0, edges.stderr);
    assert.deepEqual(
      (JSON.parse(edges.stdout) as { edgeId: string }[]).map((e) => e.edgeId),
      ['cli-e'],
    );
    const cfg = await hubspoke(['config', 'ls', '--json'], env);
    assert.equal(cfg.code, 0, cfg.stderr);
    const picked = await hubspoke(['payloads', '--context', 'elsewhere'], env);
    assert.match(picked.stderr, /HS_ERR_NOT_CONNECTED: cannot reach the admin API at 127\.0\.0\.1:1/);
    const unknown = await hubspoke(['payloads', '--context', 'nope'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /context nope does not exist/);
  });
});
