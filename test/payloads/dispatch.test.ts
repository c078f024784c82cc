import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startControlPlane, type ControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode, type EdgeNode } from '@hubspoke/edge-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';
import { JetStreamPublisher, type PluginSpec } from '@hubspoke/runtime';
import { appendEnvelopeFields, encodeEnvelope } from '@hubspoke/sdk';
import { serve } from '@hubspoke/sdk/serve';
import { testLog } from '../fixtures/fabric.js';
import { Collector } from '../gateway/plugins.js';
import { Receiver, Sender } from '../fixtures/receiver.js';
import { sleep, startNatsServer, waitFor, type NatsServer } from '../helpers/index.js';

const body = (p: { payload: Uint8Array }) => JSON.parse(Buffer.from(p.payload).toString()) as { n: number };

const fast = { maxDeliveries: 3, backoffInitialMs: 20, backoffMaxMs: 100 };

/** Stores `n` payloads of edge `eu/<edge>` in HS_PAYLOADS as an edge without a leaf would (bodies 0…n-1). */
async function publishBacklog(js: ReturnType<typeof jetstream>, edge: string, n: number): Promise<void> {
  for (let from = 0; from < n; from += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, n - from) }, (_, i) => {
        const k = from + i;
        const env = encodeEnvelope({ id: `${edge}-${k}`, namespace: 'eu', edgeId: edge, payload: Buffer.from(`${k}`) });
        return js.publish(`hs.pay.eu.${edge}`, env, { msgID: `${edge}-${k}` });
      }),
    );
  }
}

describe('edge payloads, edge connected straight to the hub', () => {
  let hub: NatsServer;
  let dir: string;
  before(async () => {
    hub = await startNatsServer({ domain: 'hub' });
    dir = await mkdtemp(join(tmpdir(), 'hubspoke-pay-'));
  });
  after(async () => {
    await hub?.[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
  });

  async function fabric(
    receivers: PluginSpec[],
    edgeId: string,
  ): Promise<{ cp: ControlPlane; edge: EdgeNode; sender: Sender } & AsyncDisposable> {
    const cp = await startControlPlane({ natsUrl: hub.url, log: testLog(), plugins: receivers, payloads: fast });
    const sender = new Sender();
    const edge = await startEdgeNode({
      natsUrl: hub.url,
      edgeId,
      namespace: 'eu',
      log: testLog(),
      plugins: [sender],
      stateDir: join(dir, edgeId),
    });
    return {
      cp,
      edge,
      sender,
      async [Symbol.asyncDispose]() {
        await edge.close();
        await cp.close();
      },
    };
  }

  test('payloads reach the receiver in order with every field, deliveryCount 1', async () => {
    const r = new Receiver();
    await using f = await fabric([r], 'direct-1');
    assert.equal(f.edge.payloadMode, 'direct');
    const t0 = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await f.sender.send({ i }, { correlationId: `c-${i}`, metadata: { kind: 'usage' } });
      ids.push(res.id);
    }
    await waitFor(() => r.accepted.length === 20, { message: `accepted ${r.accepted.length}/20` });
    assert.deepEqual(
      r.accepted.map((p) => p.id),
      ids,
    );
    assert.deepEqual(
      r.bodies<{ i: number }>().map((b) => b.i),
      [...Array(20).keys()],
    );
    const p = r.accepted[3]!;
    assert.equal(p.edgeId, 'direct-1');
    assert.equal(p.edgeNamespace, 'eu');
    assert.equal(p.correlationId, 'c-3');
    assert.deepEqual({ ...p.metadata }, { kind: 'usage' });
    assert.equal(p.deliveryCount, 1);
    assert.ok(p.edgeTimestamp.getTime() >= t0 && p.receivedTimestamp.getTime() >= p.edgeTimestamp.getTime() - 5);
    assert.equal(p.replay, undefined);
  });

  test('offered in load order until one returns true; nobody handling it dead-letters it', async () => {
    const no = new Receiver('says-no');
    no.decide = () => false;
    const yes = new Receiver('says-yes');
    yes.decide = (p) => JSON.parse(Buffer.from(p.payload).toString()).kind === 'usage';
    await using f = await fabric([no, yes], 'direct-2');
    await f.sender.send({ kind: 'usage' });
    const { id } = await f.sender.send({ kind: 'unknown' });
    await waitFor(() => f.cp.payloads.counters.deadLettered === 1 && yes.accepted.length === 1);
    assert.equal(no.offers.length, 2, 'the first receiver saw both');
    assert.equal(yes.offers.length, 2);
    const dl = await lastDeadLetter(hub.url);
    assert.equal(dl.reason, 'no receiver handled it (every acceptEdgePayload returned false)');
    assert.equal(dl.attempts, '1');
    assert.ok(dl.body.includes(id));
  });

  test('payloadTypes: a listed type goes only to the receivers listing it; other types only to the others', async () => {
    const usage = Object.assign(new Receiver('usage-only'), { payloadTypes: ['usage'] });
    const open = new Receiver('open');
    await using f = await fabric([open, usage], 'direct-types');
    const a = await f.sender.send({ n: 1 }, { metadata: { type: 'usage' } });
    const b = await f.sender.send({ n: 2 }, { metadata: { type: 'audit' } });
    const c = await f.sender.send({ n: 3 });
    await waitFor(() => usage.accepted.length === 1 && open.accepted.length === 2, {
      message: `usage ${usage.accepted.length}/1, open ${open.accepted.length}/2`,
    });
    assert.deepEqual(
      usage.offers.map((p) => p.id),
      [a.id],
      'the typed receiver saw its type only',
    );
    assert.deepEqual(
      open.offers.map((p) => p.id),
      [b.id, c.id],
      'the open receiver, loaded first, never saw the listed type',
    );
    assert.equal(f.cp.payloads.counters.deadLettered, 0);
  });

  test('payloadTypes out of process: serve() sends the list, and the remote receiver gets its type only', async () => {
    const remote = Object.assign(new Receiver('remote-usage'), { payloadTypes: ['usage'] });
    const token = randomBytes(24).toString('hex');
    const served = await serve(remote, { token, listen: '127.0.0.1:0' });
    try {
      const open = new Receiver('open');
      await using f = await fabric(
        [open, { address: served.address, token, name: 'remote-usage' }],
        'direct-types-rpc',
      );
      const a = await f.sender.send({ n: 1 }, { metadata: { type: 'usage' } });
      const b = await f.sender.send({ n: 2 });
      await waitFor(() => remote.accepted.length === 1 && open.accepted.length === 1, {
        message: `remote ${remote.accepted.length}/1, open ${open.accepted.length}/1`,
      });
      assert.deepEqual(
        remote.offers.map((p) => p.id),
        [a.id],
      );
      assert.deepEqual(
        open.offers.map((p) => p.id),
        [b.id],
      );
    } finally {
      await served.close();
    }
  });

  test('a control plane with collectors only leaves ordinary payloads for a replica with a receiver: none dead-lettered', async () => {
    // A collector turns on the built-in telemetry receiver, which lists the telemetry type only: an ordinary
    // payload has no receiver here. It must wait (not be dead-lettered) and reach the replica that has one.
    await using f = await fabric([new Collector()], 'direct-collector');
    const { id } = await f.sender.send({ n: 1 }, { metadata: { type: 'usage' } });
    await waitFor(() => f.cp.payloads.counters.handedOver >= 1, { message: 'the edge was not handed over' });
    const r = new Receiver();
    const other = await startControlPlane({ natsUrl: hub.url, log: testLog(), plugins: [r], payloads: fast });
    try {
      await waitFor(() => r.accepted.length === 1, { message: `accepted ${r.accepted.length}/1` });
      assert.equal(r.accepted[0]?.id, id);
      assert.equal(r.accepted[0]?.deliveryCount, 1, 'never offered before');
      assert.equal(f.cp.payloads.counters.deadLettered, 0);
      assert.equal(other.payloads.counters.deadLettered, 0);
      assert.equal(f.cp.payloads.counters.offered, 0, 'nothing was offered where nobody takes it');
    } finally {
      await other.close();
    }
  });

  test('a receiver that throws twice then succeeds: offered three times, the edge waits, nothing lost', async () => {
    const r = new Receiver();
    let failures = 0;
    r.decide = (p) => {
      if (JSON.parse(Buffer.from(p.payload).toString()).n === 0 && failures < 2) {
        failures++;
        throw new Error(`flaky ${failures}`);
      }
      return true;
    };
    await using f = await fabric([r], 'direct-3');
    for (let n = 0; n < 5; n++) await f.sender.send({ n });
    await waitFor(() => r.accepted.length === 5, { message: `accepted ${r.accepted.length}/5` });
    assert.deepEqual(
      r.bodies<{ n: number }>().map((b) => b.n),
      [0, 1, 2, 3, 4],
      'later payloads waited',
    );
    assert.deepEqual(
      r.offers.filter((p) => r.offers[0]!.id === p.id).map((p) => p.deliveryCount),
      [1, 2, 3],
    );
    assert.equal(f.cp.payloads.counters.failedOffers, 2);
  });

  test('deliveryCount goes on across a control-plane restart after failed offers', async () => {
    const failing = new Receiver();
    failing.decide = () => {
      throw new Error('not yet');
    };
    const slow = { maxDeliveries: 10, backoffInitialMs: 300, backoffMaxMs: 300 };
    const cp1 = await startControlPlane({ natsUrl: hub.url, log: testLog(), plugins: [failing], payloads: slow });
    const sender = new Sender();
    const edge = await startEdgeNode({
      natsUrl: hub.url,
      edgeId: 'direct-restart',
      namespace: 'eu',
      log: testLog(),
      plugins: [sender],
      stateDir: join(dir, 'direct-restart'),
    });
    try {
      const { id } = await sender.send({ n: 1 });
      await waitFor(() => failing.offers.filter((p) => p.id === id).length >= 2);
      assert.deepEqual(
        failing.offers
          .filter((p) => p.id === id)
          .map((p) => p.deliveryCount)
          .slice(0, 2),
        [1, 2],
      );
      await cp1.close();
      const offered = failing.offers.filter((p) => p.id === id).length;

      const ok = new Receiver();
      const cp2 = await startControlPlane({ natsUrl: hub.url, log: testLog(), plugins: [ok], payloads: slow });
      try {
        const p = await waitFor(() => ok.accepted.find((x) => x.id === id), { timeoutMs: 20_000 });
        assert.equal(p.deliveryCount, offered + 1, 'the count is kept in KV, not restarted by the new control plane');
      } finally {
        await cp2.close();
      }
    } finally {
      await edge.close();
    }
  });

  test('a poison payload is dead-lettered after maxDeliveries with its reason, plugin and attempts', async () => {
    const r = new Receiver('picky');
    r.decide = (p) => {
      if (JSON.parse(Buffer.from(p.payload).toString()).poison) throw new Error('cannot parse this');
      return true;
    };
    await using f = await fabric([r], 'direct-4');
    const { id } = await f.sender.send({ poison: true });
    await f.sender.send({ poison: false });
    await waitFor(() => f.cp.payloads.counters.deadLettered === 1 && r.accepted.length === 1, { timeoutMs: 8000 });
    assert.equal(r.offers.filter((p) => p.id === id).length, 3);
    const dl = await lastDeadLetter(hub.url);
    assert.match(dl.reason, /picky: acceptEdgePayload failed: cannot parse this/);
    assert.equal(dl.plugin, 'picky');
    assert.equal(dl.attempts, '3');
  });

  test('outbox positions stored out of order (later ones first, then the earlier sent again): late, never lost', async () => {
    // What a forwarder's window does when its first publishes meet no responders and later ones are stored: the
    // hub holds outbox sequences 4..6 before 1..3. Taken for copies of what was passed, 1..3 would be lost.
    const r = new Receiver();
    const cp = await startControlPlane({ natsUrl: hub.url, log: testLog(), plugins: [r], payloads: fast });
    const nc = await connect({ servers: hub.url });
    try {
      const js = jetstream(nc);
      const store = async (sequence: number, msgID = `ooo-${sequence}`) => {
        const env = encodeEnvelope({
          id: `ooo-${sequence}`,
          namespace: 'eu',
          edgeId: 'ooo',
          payload: Buffer.from(`${sequence}`),
        });
        await js.publish('hs.pay.eu.ooo', appendEnvelopeFields(env, { sequence, sequenceEpoch: 'e1' }), { msgID });
      };
      for (const sequence of [4, 5, 6, 1, 2, 3]) await store(sequence);
      await waitFor(() => r.accepted.length === 6, { message: `handled ${r.accepted.length}/6` });
      // A copy sent again after JetStream's window (another msg id here) is dropped by its position.
      await store(5, 'ooo-5-again');
      await waitFor(() => cp.payloads.counters.duplicates === 1, { message: 'the copy is dropped' });
      assert.deepEqual(
        r.accepted.map((p) => Buffer.from(p.payload).toString()),
        ['4', '5', '6', '1', '2', '3'],
      );
      assert.ok(r.accepted.every((p) => p.deliveryCount === 1));
    } finally {
      await nc.close();
      await cp.close();
    }
  });

  test('a backlog larger than the lane holds (5,000 stored before any control plane): each once, in order, deliveryCount 1', async () => {
    // The lane asks for no more than about 2,048 payloads ahead of its receiver and asks again below 1,024: this
    // backlog makes its reader hold and go on several times.
    const N = 5000;
    const nc = await connect({ servers: hub.url });
    const r = new Receiver();
    let cp: ControlPlane | undefined;
    try {
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      // The stream as a control plane makes it, before any runs: the backlog waits there.
      cp = await startControlPlane({ natsUrl: hub.url, log: testLog(), plugins: [], payloads: fast });
      await cp.close();
      await publishBacklog(js, 'backlog', N);
      assert.equal(
        (await jsm.streams.info('HS_PAYLOADS', { subjects_filter: 'hs.pay.eu.backlog' })).state.subjects?.[
          'hs.pay.eu.backlog'
        ],
        N,
      );
      // A receiver slower than the reader (a pause every 100 payloads), so that the lane fills up and holds it.
      let seen = 0;
      r.decide = async () => {
        if (++seen % 100 === 0) await sleep(5);
        return true;
      };
      cp = await startControlPlane({ natsUrl: hub.url, log: testLog(), plugins: [r], payloads: fast });
      await waitFor(() => r.accepted.length >= N, { timeoutMs: 30_000, message: `handled ${r.accepted.length}/${N}` });
      const got = r.accepted
        .filter((p) => p.edgeId === 'backlog')
        .map((p) => Number(Buffer.from(p.payload).toString()));
      assert.deepEqual(
        got,
        Array.from({ length: N }, (_, n) => n),
        'each once, in stream order',
      );
      assert.ok(
        r.accepted.every((p) => p.deliveryCount === 1),
        'deliveryCount 1 for every first offer',
      );
    } finally {
      await nc.close();
      await cp?.close();
    }
  });

  test('a control plane closed with payloads queued and claimed: it leaves no claim, the next offers each with deliveryCount 1', async () => {
    const N = 4000;
    const nc = await connect({ servers: hub.url });
    const num = (p: { payload: Uint8Array }) => Number(Buffer.from(p.payload).toString());
    let cp: ControlPlane | undefined;
    try {
      const js = jetstream(nc);
      cp = await startControlPlane({ natsUrl: hub.url, log: testLog(), plugins: [], payloads: fast });
      await cp.close();
      await publishBacklog(js, 'closed-queued', N);
      // A fast receiver: the lane's claims grow to cover many queued payloads ahead of the one in hand.
      const first = new Receiver();
      let closing: Promise<void> | undefined;
      first.decide = (p) => {
        if (num(p) === 1000) closing = (cp as ControlPlane).close();
        return true;
      };
      cp = await startControlPlane({ natsUrl: hub.url, log: testLog(), plugins: [first], payloads: fast });
      await waitFor(() => closing !== undefined, { timeoutMs: 20_000, message: 'the first closes at payload 1000' });
      await closing;
      const kv = await new Kvm(nc).open('hs-dispatch');
      const rec = (await kv.get('edge.eu.closed-queued'))?.json<{ streamSeq: number; claim?: unknown }>();
      assert.ok(rec, 'the record was written at the close');
      assert.equal(rec.claim, undefined, `no claim left, nothing after the cursor was offered: ${JSON.stringify(rec)}`);
      const second = new Receiver();
      cp = await startControlPlane({ natsUrl: hub.url, log: testLog(), plugins: [second], payloads: fast });
      const done = first.accepted.length;
      await waitFor(() => second.accepted.length >= N - done, {
        timeoutMs: 30_000,
        message: `the rest handled (${second.accepted.length}/${N - done})`,
      });
      assert.deepEqual(
        [...first.accepted, ...second.accepted].map(num),
        Array.from({ length: N }, (_, k) => k),
        'each once, in order, across the two',
      );
      const flagged = second.offers.filter((p) => p.deliveryCount !== 1).map(num);
      assert.deepEqual(flagged, [], 'every payload the first never offered comes with deliveryCount 1');
    } finally {
      await nc.close();
      await cp?.close();
    }
  });

  test("the publisher's Nats-Msg-Id reaches JetStream: a second publish with the id is a duplicate, stored once", async () => {
    // JetStreamPublisher encodes a publish that carries only the id itself (not through nats.js's MsgHdrs).
    const cp = await startControlPlane({ natsUrl: hub.url, log: testLog(), plugins: [], payloads: fast });
    const nc = await connect({ servers: hub.url });
    const publisher = new JetStreamPublisher(nc);
    try {
      const jsm = await jetstreamManager(nc);
      const env = encodeEnvelope({ id: 'hdr-1', namespace: 'eu', edgeId: 'hdr', payload: Buffer.from('x') });
      const first = await publisher.publish('hs.pay.eu.hdr', env, { msgId: '01JHDRTEST0000000000000001' });
      const again = await publisher.publish('hs.pay.eu.hdr', env, { msgId: '01JHDRTEST0000000000000001' });
      assert.deepEqual([first.duplicate, again.duplicate, again.seq], [false, true, first.seq]);
      const stored = await jsm.streams.getMessage('HS_PAYLOADS', { seq: first.seq });
      assert.equal(stored?.header.get('Nats-Msg-Id'), '01JHDRTEST0000000000000001');
      // With other headers too, nats.js's MsgHdrs carries them all.
      const other = await publisher.publish('hs.pay.eu.hdr', env, { msgId: 'hdr-2', headers: { 'Hs-Test': 'yes' } });
      const m = await jsm.streams.getMessage('HS_PAYLOADS', { seq: other.seq });
      assert.deepEqual([m?.header.get('Nats-Msg-Id'), m?.header.get('Hs-Test')], ['hdr-2', 'yes']);
    } finally {
      publisher.close();
      await nc.close();
      await cp.close();
    }
  });

  test('a failing payload holds back only its own edge: other edges go on', async () => {
    const r = new Receiver();
    let stuck = true;
    r.decide = (p) => {
      if (stuck && p.edgeId === 'held-a') throw new Error('not yet');
      return true;
    };
    const cp = await startControlPlane({
      natsUrl: hub.url,
      log: testLog(),
      plugins: [r],
      payloads: { ...fast, maxDeliveries: 100, backoffInitialMs: 50, backoffMaxMs: 50 },
    });
    const a = new Sender();
    const b = new Sender();
    const ea = await startEdgeNode({
      natsUrl: hub.url,
      edgeId: 'held-a',
      namespace: 'eu',
      log: testLog(),
      plugins: [a],
      stateDir: join(dir, 'held-a'),
    });
    const eb = await startEdgeNode({
      natsUrl: hub.url,
      edgeId: 'held-b',
      namespace: 'us',
      log: testLog(),
      plugins: [b],
      stateDir: join(dir, 'held-b'),
    });
    try {
      await a.send({ n: 0 });
      await a.send({ n: 1 });
      await waitFor(() => r.offers.filter((p) => p.edgeId === 'held-a').length >= 2, { message: 'edge a is retrying' });
      for (let n = 0; n < 5; n++) await b.send({ n });
      await waitFor(() => r.accepted.filter((p) => p.edgeId === 'held-b').length === 5, { message: 'edge b goes on' });
      assert.equal(
        r.accepted.filter((p) => p.edgeId === 'held-a').length,
        0,
        "a's first payload, and so its second, still wait",
      );
      stuck = false;
      await waitFor(() => r.accepted.filter((p) => p.edgeId === 'held-a').length === 2);
      assert.deepEqual(
        r.accepted.filter((p) => p.edgeId === 'held-a').map((p) => body(p).n),
        [0, 1],
        'then a, in order',
      );
    } finally {
      await Promise.all([ea.close(), eb.close()]);
      await cp.close();
    }
  });

  test('limits: each violation gets its coded error and nothing is sent', async () => {
    const r = new Receiver();
    await using f = await fabric([r], 'direct-5');
    const max = f.edge.node.limits.maxPayloadBytes;
    const cases: [() => Promise<unknown>, string][] = [
      [() => f.sender.send(new Uint8Array(max + 1)), 'HS_ERR_PAYLOAD_TOO_LARGE'],
      [
        () => f.sender.send({}, { metadata: Object.fromEntries([...Array(40).keys()].map((i) => [`k${i}`, 'v'])) }),
        'HS_ERR_METADATA_INVALID',
      ],
      [() => f.sender.send({}, { metadata: { ['k'.repeat(200)]: 'v' } }), 'HS_ERR_METADATA_INVALID'],
      [() => f.sender.send({}, { metadata: { k: 'v'.repeat(2000) } }), 'HS_ERR_METADATA_INVALID'],
      [() => f.sender.send({}, { correlationId: 'c'.repeat(300) }), 'HS_ERR_METADATA_INVALID'],
      [() => f.sender.send('text' as unknown as object), 'HS_ERR_INVALID_ARGUMENT'],
    ];
    for (const [fn, code] of cases) await assert.rejects(fn, (e: { code?: string }) => e.code === code, code);
    await f.sender.send({ ok: true });
    await waitFor(() => r.accepted.length === 1);
    assert.equal(r.offers.length, 1, 'only the valid payload reached the hub');
  });
});

/** The newest message of the dead-letter stream, with its headers. */
export async function lastDeadLetter(
  url: string,
): Promise<{ reason: string; plugin: string; attempts: string; body: string }> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const m = await jsm.streams.getMessage('HS_DLQ', { last_by_subj: 'hs.dlq.>' });
    if (!m) throw new Error('no dead letter');
    return {
      reason: m.header.get('Hs-Dlq-Reason'),
      plugin: m.header.get('Hs-Dlq-Plugin'),
      attempts: m.header.get('Hs-Dlq-Attempts'),
      body: Buffer.from(m.data).toString('latin1'),
    };
  } finally {
    await nc.close();
  }
}

describe('a direct edge through a hub outage', () => {
  test('sendToControl waits through a short outage, and fails with HS_ERR_NOT_CONNECTED after sendWaitMs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hubspoke-direct-'));
    await using hub = await startNatsServer({ domain: 'hub' });
    const r = new Receiver();
    const cp = await startControlPlane({ natsUrl: hub.url, log: testLog(), plugins: [r], payloads: fast });
    const sender = new Sender();
    const edge = await startEdgeNode({
      natsUrl: hub.url,
      edgeId: 'outage',
      namespace: 'eu',
      log: testLog(),
      plugins: [sender],
      stateDir: dir,
      sendWaitMs: 5000,
    });
    await hub.kill('SIGKILL');
    await assert.rejects(
      sender.send({ n: 'lost' }),
      (e: { code?: string; message?: string }) =>
        e.code === 'HS_ERR_NOT_CONNECTED' && /no outbox/.test(e.message ?? ''),
    );
    const pending = sender.send({ n: 'waits' }); // the hub comes back within the wait
    await hub.restart();
    const { id } = await pending;
    await waitFor(() => r.accepted.some((p) => p.id === id), { timeoutMs: 10000, message: 'handled after the outage' });
    await edge.close();
    await cp.close();
    await rm(dir, { recursive: true, force: true });
  });
});
