import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { AdminClient, startControlPlane, type ControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode } from '@hubspoke/edge-node';
import { encodeEnvelope } from '@hubspoke/sdk';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { testLog } from '../fixtures/fabric.js';
import { startNodeProcess } from '../fixtures/proc.js';
import { Receiver, Sender } from '../fixtures/receiver.js';
import { Tally } from '../fixtures/tally.js';
import { sleep, startNatsServer, waitFor, type NatsServer } from '../helpers/index.js';
import { leafSites } from './leaf-site.js';

/** A receiver that tallies every offer and accepts (unless `refuse` says otherwise). */
function tallying(tally: Tally, refuse: (n: number, deliveryCount: number) => boolean | 'throw' = () => false) {
  const r = new Receiver();
  r.decide = (p) => {
    const { n } = JSON.parse(Buffer.from(p.payload).toString()) as { n: number };
    tally.offer(p.edgeId, n, p.deliveryCount);
    const no = refuse(n, p.deliveryCount);
    if (no === 'throw') throw new Error(`refused ${n}`);
    if (no) return false;
    tally.handle(p.edgeId, n);
    return true;
  };
  return r;
}

// Each payload id once, whatever the fault: the edge's outbox keeps its identity across restarts, and the
// per-edge record at the hub drops copies even after JetStream's dedup window (set to 1 s here to take it out of play).
describe('each payload once through edge, leaf, hub and control-plane faults', () => {
  const { site, stateDir } = leafSites('hubspoke-identity-');

  test('an edge SIGKILLed with 900 in its outbox, restarted twice (the second time its leaf killed too): each once, in order', async () => {
    await using s = await site('rs');
    await s.hub.stop();
    const first = startNodeProcess('edge-sender', { ...s.env, COUNT: '900' });
    await first.waitForLine(/^sent 900$/, 60000);
    await first.kill();
    await s.hub.restart();
    const tally = new Tally();
    const cp = await startControlPlane({
      natsUrl: s.hub.url,
      log: testLog(),
      plugins: [tallying(tally)],
      payloads: { dedupWindowMs: 1000 },
    });
    try {
      // The hub stops answering while the edge forwards: what it stores gets no PubAck, so the outbox keeps it.
      // The leaf's link to the restarted hub is up: a message published at the leaf reaches a hub subscriber.
      const [atHub, atLeaf] = await Promise.all([connect({ servers: s.hub.url }), connect({ servers: s.leaf.url })]);
      try {
        let linked = false;
        const sub = atHub.subscribe('probe.link', {
          callback: () => {
            linked = true;
          },
        });
        await atHub.flush();
        await waitFor(
          () => {
            atLeaf.publish('probe.link');
            return linked;
          },
          { timeoutMs: 30000, intervalMs: 200, message: 'the leaf links to the restarted hub' },
        );
        sub.unsubscribe();
      } finally {
        await Promise.all([atHub.close(), atLeaf.close()]);
      }
      // Done again if the edge sent nothing while the hub was stopped (its link had no interest yet, say): the
      // point is a hub holding payloads that the outbox still holds too.
      const nc = await connect({ servers: s.hub.url });
      const stored = async () =>
        (await (await jetstreamManager(nc)).streams.info('HS_PAYLOADS').catch(() => undefined))?.state.messages ?? 0;
      try {
        for (let attempt = 1; (await stored()) === 0; attempt++) {
          assert.ok(attempt <= 3, 'the hub stored nothing forwarded while it was stopped, three times');
          process.kill(s.hub.pid as number, 'SIGSTOP');
          const second = startNodeProcess('edge-sender', { ...s.env, COUNT: '0' });
          try {
            await second.waitForLine(/^ready$/, 30000);
            await sleep(500);
          } finally {
            await second.kill();
            process.kill(s.hub.pid as number, 'SIGCONT');
          }
          await sleep(1000);
        }
      } finally {
        await nc.close();
      }
      await waitFor(() => tally.handledCount >= 1, { timeoutMs: 20000, message: 'what the hub stored is handled' });
      await s.leaf.kill('SIGKILL');
      await s.leaf.restart();
      await sleep(1200); // past JetStream's dedup window: copies sent again are stored again
      const third = startNodeProcess('edge-sender', { ...s.env, COUNT: '0' });
      await waitFor(() => tally.handledCount >= 900, {
        timeoutMs: 30000,
        message: `handled ${tally.handledCount}/900`,
      });
      await sleep(1500); // late copies would show up now
      await third.kill();
      assert.ok(cp.payloads.counters.duplicates > 0, 'copies of handled payloads reached the hub again');
      assert.deepEqual(
        tally.summary({ rs: 900 }),
        { lost: 0, unflagged: 0, outOfOrder: 0 },
        tally.describe({ rs: 900 }),
      );
      assert.equal(tally.flagged, 0, 'nothing offered twice: copies are recognised by their outbox position');
    } finally {
      await cp.close();
    }
  });

  test('the outbox id is made once and kept in the stream name: the same after restarts and updates', async () => {
    await using s = await site('oid');
    const open = () => s.edge();
    const nc = await connect({ servers: s.leaf.url });
    try {
      const jsm = await jetstreamManager(nc, { domain: 'edge-oid' });
      const outbox = async () => {
        const names: string[] = [];
        for await (const n of jsm.streams.names('hs.outbox.eu.oid')) names.push(n);
        assert.equal(names.length, 1, `one stream holds the outbox subject: ${names.join(', ')}`);
        return names[0] as string;
      };
      const names: string[] = [];
      for (let i = 0; i < 3; i++) {
        const e = await open();
        names.push(await outbox());
        await e.close();
        // What nats-server 2.9 does to `created` on an update must not matter.
        const info = await jsm.streams.info(names[i] as string);
        await jsm.streams.update(info.config.name, { ...info.config, max_msgs: info.config.max_msgs + 1 });
      }
      assert.match(names[0] as string, /^HS_OUTBOX_[0-9a-f]{32}$/);
      assert.deepEqual(new Set(names).size, 1, `one id across three starts: ${names.join(', ')}`);
      // Each open sets the outbox's limits again, and its dedup window: 45 s (longer than an append's 30 s of
      // retries), not JetStream's 2 minutes.
      await (await open()).close();
      const config = (await jsm.streams.info(names[0] as string)).config;
      assert.equal(config.duplicate_window, 45_000_000_000);
    } finally {
      await nc.close();
    }
  });

  test('an outbox from before sourcing (HS_OUTBOX) is forwarded to its end, then replaced by one the hub sources', async () => {
    await using s = await site('legacy');
    const tally = new Tally();
    const cp = await startControlPlane({ natsUrl: s.hub.url, log: testLog(), plugins: [tallying(tally)] });
    const nc = await connect({ servers: s.leaf.url });
    try {
      // The outbox an edge of the previous version left behind, holding 20 payloads the hub never got.
      const jsm = await jetstreamManager(nc, { domain: 'edge-legacy' });
      await jsm.streams.add({
        name: 'HS_OUTBOX',
        subjects: ['hs.outbox.eu.legacy'],
        description: 'hubspoke outbox 5a0f3c1e-0000-4000-8000-000000000001',
      });
      const js = jetstream(nc, { domain: 'edge-legacy' });
      for (let n = 0; n < 20; n++) {
        const payload = Buffer.from(JSON.stringify({ n }));
        const data = encodeEnvelope({ id: `old-${n}`, namespace: 'eu', edgeId: 'legacy', origin: 'plugin:s', payload });
        await js.publish('hs.outbox.eu.legacy', data, { msgID: `old-${n}` });
      }
      const sender = new Sender();
      const e1 = await s.edge({ plugins: [sender] });
      for (let n = 20; n < 30; n++) await sender.send({ n });
      await waitFor(() => tally.handledCount === 30, { timeoutMs: 20000, message: `handled ${tally.handledCount}/30` });
      await e1.close();
      const hub = await connect({ servers: s.hub.url });
      try {
        const hjsm = await jetstreamManager(hub);
        const stored = await hjsm.streams.info('HS_PAYLOADS', { subjects_filter: '>' });
        assert.deepEqual(stored.state.subjects, { 'hs.pay.eu.legacy': 30 }, 'the old outbox was forwarded');
        const again = new Sender();
        const e2 = await s.edge({ plugins: [again] });
        for (let n = 30; n < 40; n++) await again.send({ n });
        await waitFor(() => tally.handledCount === 40, {
          timeoutMs: 20000,
          message: `handled ${tally.handledCount}/40`,
        });
        await e2.close();
        const after = await hjsm.streams.info('HS_PAYLOADS', { subjects_filter: '>' });
        assert.deepEqual(after.state.subjects, { 'hs.pay.eu.legacy': 30, 'hs.outbox.eu.legacy': 10 }, 'then sourced');
        const names: string[] = [];
        for await (const n of jsm.streams.names()) names.push(n);
        assert.deepEqual(
          names.filter((n) => n.startsWith('HS_OUTBOX')).map((n) => n.replace(/[0-9a-f]{32}$/, '<id>')),
          ['HS_OUTBOX_<id>'],
        );
      } finally {
        await hub.close();
      }
      assert.deepEqual(
        tally.summary({ legacy: 40 }),
        { lost: 0, unflagged: 0, outOfOrder: 0 },
        tally.describe({ legacy: 40 }),
      );
      assert.equal(tally.flagged, 0);
    } finally {
      await nc.close();
      await cp.close();
    }
  });

  test("the leaf's store lost while the hub sources it: the new outbox is a new source, nothing skipped", async () => {
    await using s = await site('wiped');
    const tally = new Tally();
    const cp = await startControlPlane({ natsUrl: s.hub.url, log: testLog(), plugins: [tallying(tally)] });
    const hub = await connect({ servers: s.hub.url });
    try {
      const jsm = await jetstreamManager(hub);
      const sourceOf = async () =>
        (await jsm.streams.info('HS_PAYLOADS')).config.sources?.filter(
          (x) => x.external?.deliver === 'hs.src.eu.wiped',
        );
      const run = async (from: number, to: number, previous?: string) => {
        const sender = new Sender();
        const e = await s.edge({ plugins: [sender] });
        await waitFor(
          async () => {
            const now = await sourceOf();
            return now?.length === 1 && now[0]?.name !== previous;
          },
          { timeoutMs: 30000, message: 'sourced' },
        );
        for (let n = from; n < to; n++) await sender.send({ n });
        await waitFor(() => tally.handledCount === to, { timeoutMs: 20000, message: `handled ${tally.handledCount}` });
        await e.close();
        return (await sourceOf())?.[0]?.name;
      };
      const first = await run(0, 60);
      // The leaf's disk is lost: a new outbox starts its sequence at 1 again. Under the same stream name the hub's
      // source would go on after sequence 60 and skip the new stream's first 60 (NATS-NOTES); under a new name it
      // is a new source, read from its start.
      await s.leaf.stop();
      await rm(join(s.leaf.storeDir, 'jetstream'), { recursive: true, force: true });
      await s.leaf.restart();
      const second = await run(60, 140, first);
      assert.notEqual(second, first, 'the new outbox has a new id');
      const stored = await jsm.streams.info('HS_PAYLOADS', { subjects_filter: '>' });
      assert.deepEqual(stored.state.subjects, { 'hs.outbox.eu.wiped': 140 });
      assert.deepEqual(
        tally.summary({ wiped: 140 }),
        { lost: 0, unflagged: 0, outOfOrder: 0 },
        tally.describe({ wiped: 140 }),
      );
      assert.equal(tally.flagged, 0);
    } finally {
      await hub.close();
      await cp.close();
    }
  });

  test('every control plane away while the hub sources: the outbox keeps what it sent, nothing lost, purged after', async () => {
    await using s = await site('cpaway');
    const tally = new Tally();
    const start = () => startControlPlane({ natsUrl: s.hub.url, log: testLog(), plugins: [tallying(tally)] });
    let cp = await start();
    const sender = new Sender();
    const e = await s.edge({ plugins: [sender] });
    const leaf = await connect({ servers: s.leaf.url });
    try {
      const ljsm = await jetstreamManager(leaf, { domain: 'edge-cpaway' });
      const kept = async () => {
        for await (const n of ljsm.streams.names('hs.outbox.eu.cpaway'))
          return (await ljsm.streams.info(n)).state.messages;
        return -1;
      };
      const hub = await connect({ servers: s.hub.url });
      const hjsm = await jetstreamManager(hub);
      const sourced = async () =>
        (await hjsm.streams.info('HS_PAYLOADS', { subjects_filter: '>' })).state.subjects?.['hs.outbox.eu.cpaway'] ?? 0;
      await waitFor(async () => (await hjsm.streams.info('HS_PAYLOADS')).config.sources?.length === 1, {
        message: 'sourced',
      });
      for (let n = 0; n < 100; n++) await sender.send({ n });
      await waitFor(async () => tally.handledCount === 100 && (await kept()) === 0, { message: 'handled, purged' });
      // No control plane: the hub goes on sourcing, but nobody says what it has, so the edge keeps it all.
      await cp.close();
      for (let n = 100; n < 400; n++) await sender.send({ n });
      await waitFor(async () => (await sourced()) === 400, { message: 'the hub sourced without a control plane' });
      // Two of the edge's asks since: heard here, answered by nobody.
      let asks = 0;
      const sub = hub.subscribe('hs.req.eu.cpaway.outbox', {
        callback: () => {
          asks++;
        },
      });
      await waitFor(() => asks >= 2, { timeoutMs: 15000, message: 'the edge asked' });
      sub.unsubscribe();
      assert.equal(await kept(), 300, 'the outbox keeps what no control plane confirmed');
      cp = await start();
      await waitFor(() => tally.handledCount === 400, { timeoutMs: 20000, message: `handled ${tally.handledCount}` });
      await waitFor(async () => (await kept()) === 0, { timeoutMs: 20000, message: 'purged once answered' });
      assert.deepEqual(
        tally.summary({ cpaway: 400 }),
        { lost: 0, unflagged: 0, outOfOrder: 0 },
        tally.describe({ cpaway: 400 }),
      );
      assert.equal(tally.flagged, 0);
      await hub.close();
    } finally {
      await leaf.close();
      await e.close();
      await cp.close();
    }
  });

  test('an edge started before any control plane is forwarded, then sourced mid-flow: each once, in order', async () => {
    await using s = await site('switch');
    const hub = await connect({ servers: s.hub.url });
    // The hub as a control plane left it: its payload stream is there, no control plane runs.
    const jsm = await jetstreamManager(hub);
    await jsm.streams.add({ name: 'HS_PAYLOADS', subjects: ['hs.pay.>'] });
    const sender = new Sender();
    const e = await s.edge({ plugins: [sender] });
    const tally = new Tally();
    let cp: ControlPlane | undefined;
    try {
      const stored = async () => (await jsm.streams.info('HS_PAYLOADS', { subjects_filter: '>' })).state.subjects ?? {};
      let sourced = false;
      let sent = 0;
      const sending = (async () => {
        // Until the hub sources the outbox, and 200 more after.
        for (let after = 0; after < 200; sent++) {
          await sender.send({ n: sent });
          if (sourced) after++;
          if (sent % 10 === 0) await sleep(5);
        }
      })();
      // No control plane answers the edge: the forwarder publishes its payloads.
      await waitFor(async () => ((await stored())['hs.pay.eu.switch'] ?? 0) >= 50, { message: 'forwarded' });
      cp = await startControlPlane({ natsUrl: s.hub.url, log: testLog(), plugins: [tallying(tally)] });
      await waitFor(async () => ((await stored())['hs.outbox.eu.switch'] ?? 0) > 0, {
        timeoutMs: 20000,
        message: 'sourced',
      });
      sourced = true;
      await sending;
      await waitFor(() => tally.handledCount === sent, {
        timeoutMs: 30000,
        message: `handled ${tally.handledCount}/${sent}`,
      });
      assert.deepEqual(
        tally.summary({ switch: sent }),
        { lost: 0, unflagged: 0, outOfOrder: 0 },
        tally.describe({ switch: sent }),
      );
      assert.equal(tally.flagged, 0);
      const at = await stored();
      assert.ok((at['hs.outbox.eu.switch'] ?? 0) >= 200, `sourced after the switch: ${JSON.stringify(at)}`);
      // What the hub has is purged from the edge's outbox (the edge asks how far the hub has it).
      const leaf = await connect({ servers: s.leaf.url });
      try {
        const ljsm = await jetstreamManager(leaf, { domain: 'edge-switch' });
        await waitFor(
          async () => {
            for await (const n of ljsm.streams.names('hs.outbox.eu.switch')) {
              if ((await ljsm.streams.info(n)).state.messages === 0) return true;
            }
            return false;
          },
          { timeoutMs: 10000, message: 'the outbox is purged' },
        );
      } finally {
        await leaf.close();
      }
    } finally {
      await e.close();
      await cp?.close();
      await hub.close();
    }
  });

  test("three edges' outboxes sourced one after another while the others flow: each once, in order, per edge", async () => {
    await using hub = await startNatsServer({ domain: 'hub', leafListen: true });
    const leaves = await Promise.all(
      ['m1', 'm2', 'm3'].map((id) => startNatsServer({ domain: `edge-${id}`, leafRemotes: [hub.leafUrl as string] })),
    );
    const tally = new Tally();
    const cp = await startControlPlane({ natsUrl: hub.url, log: testLog(), plugins: [tallying(tally)] });
    const edges: { close(): Promise<void> }[] = [];
    const counts: Record<string, number> = {};
    try {
      const flows: Promise<void>[] = [];
      for (const [i, id] of ['m1', 'm2', 'm3'].entries()) {
        const sender = new Sender();
        edges.push(
          await startEdgeNode({
            natsUrl: (leaves[i] as NatsServer).url,
            edgeId: id,
            namespace: 'eu',
            log: testLog(),
            plugins: [sender],
            stateDir: stateDir(id),
          }),
        );
        counts[id] = 400;
        flows.push(
          (async () => {
            for (let n = 0; n < 400; n++) {
              await sender.send({ n });
              if (n % 20 === 0) await sleep(10);
            }
          })(),
        );
        // The next edge's source is added to HS_PAYLOADS (a stream update) while this one's payloads flow.
        await waitFor(() => tally.handledCount > 100 * (i + 1), { timeoutMs: 20000, message: `flowing ${id}` });
      }
      await Promise.all(flows);
      await waitFor(() => tally.handledCount === 1200, { timeoutMs: 30000, message: `handled ${tally.handledCount}` });
      assert.deepEqual(tally.summary(counts), { lost: 0, unflagged: 0, outOfOrder: 0 }, tally.describe(counts));
      assert.equal(tally.flagged, 0);
      const jsm = await jetstreamManager(cp.node.nc);
      const info = await jsm.streams.info('HS_PAYLOADS', { subjects_filter: '>' });
      assert.deepEqual(info.config.sources?.map((x) => x.external?.deliver).sort(), [
        'hs.src.eu.m1',
        'hs.src.eu.m2',
        'hs.src.eu.m3',
      ]);
      for (const id of ['m1', 'm2', 'm3']) assert.ok((info.state.subjects?.[`hs.outbox.eu.${id}`] ?? 0) > 0, id);
      // An edge that is gone and forgotten is no longer sourced (nats-server would go on trying its leaf).
      await edges[1]?.close();
      assert.equal(await cp.edges.forget('m2'), true);
      const after = (await jsm.streams.info('HS_PAYLOADS')).config.sources?.map((x) => x.external?.deliver);
      assert.deepEqual(after?.sort(), ['hs.src.eu.m1', 'hs.src.eu.m3']);
      // The last source stays, whoever is forgotten: without a source, nats-server refuses the readers' filter.
      await Promise.all([edges[0]?.close(), edges[2]?.close()]);
      await cp.edges.forget('m1');
      await cp.edges.forget('m3');
      const last = (await jsm.streams.info('HS_PAYLOADS')).config.sources?.map((x) => x.external?.deliver);
      assert.deepEqual(last, ['hs.src.eu.m3']);
    } finally {
      await Promise.allSettled(edges.map((e) => e.close()));
      await cp.close();
      await Promise.allSettled(leaves.map((l) => l[Symbol.asyncDispose]()));
    }
  });

  test('compound fault: hub SIGSTOPped, control plane SIGKILLed, hub SIGKILLed and restarted: each once, in order', async () => {
    await using s = await site('cf');
    const tally = new Tally();
    const replica = () =>
      startNodeProcess('control-tally', { NATS_URL: s.hub.url, DEDUP_WINDOW_MS: '1000' }, (l) => tally.line(l));
    const cp1 = replica();
    await cp1.waitForLine(/^ready$/, 30000);
    const sender = new Sender();
    const edge = await s.edge({ plugins: [sender] });
    const N = 600;
    const sending = (async () => {
      for (let n = 0; n < N; n++) {
        await sender.send({ n });
        if (n % 50 === 0) await sleep(20);
      }
    })();
    await waitFor(() => tally.handledCount >= 150, { timeoutMs: 20000, message: 'dispatch under way' });
    process.kill(s.hub.pid as number, 'SIGSTOP');
    await sleep(500);
    await cp1.kill();
    await s.hub.kill('SIGKILL');
    await s.hub.restart();
    const cp2 = replica();
    try {
      await cp2.waitForLine(/^ready$/, 30000);
      await sending;
      await waitFor(() => tally.handledCount >= N, { timeoutMs: 40000, message: `handled ${tally.handledCount}/${N}` });
      await sleep(1500);
      assert.deepEqual(tally.summary({ cf: N }), { lost: 0, unflagged: 0, outOfOrder: 0 }, tally.describe({ cf: N }));
    } finally {
      await edge.close();
      await cp2.kill();
    }
  });

  test('deliveryCount: 1 on the first offer, +1 per retry, from 1 again after a redrive; no offer state left behind', async () => {
    await using hub = await startNatsServer({ domain: 'hub' });
    const tally = new Tally();
    const counts: number[] = [];
    let fixed = false;
    const r = tallying(tally, (n, dc) => {
      if (n !== 1) return false;
      counts.push(dc);
      return fixed ? false : 'throw';
    });
    const cp = await startControlPlane({
      natsUrl: hub.url,
      log: testLog(),
      plugins: [r],
      payloads: { maxDeliveries: 3, backoffInitialMs: 20, backoffMaxMs: 50 },
      admin: { listen: '127.0.0.1:0' },
    });
    const sender = new Sender();
    const edge = await startEdgeNode({
      natsUrl: hub.url,
      edgeId: 'dc',
      namespace: 'eu',
      log: testLog(),
      plugins: [sender],
      stateDir: stateDir('dc'),
    });
    const admin = new AdminClient(cp.admin?.address as string, { token: cp.admin?.token as string });
    const nc = await connect({ servers: hub.url });
    try {
      for (let n = 0; n < 3; n++) await sender.send({ n });
      await waitFor(() => tally.handledCount >= 2 && cp.payloads.counters.deadLettered === 1, {
        message: 'payload 1 dead-lettered after 3 offers, the others handled',
      });
      assert.deepEqual(counts, [1, 2, 3]);
      fixed = true;
      const { deadLetters } = await admin.listDeadLetters({});
      assert.equal(deadLetters.length, 1);
      await admin.redrive({ seqs: [deadLetters[0]?.seq as number] });
      await waitFor(() => tally.has('dc', 1), { message: 'the redriven payload is handled' });
      assert.deepEqual(counts, [1, 2, 3, 1], 'a redriven payload starts again at deliveryCount 1');
      const kv = await new Kvm(jetstream(nc)).open('hs-dispatch');
      const keys: string[] = [];
      for await (const k of await kv.keys()) keys.push(k);
      assert.deepEqual(
        keys.filter((k) => !/^(edge|owner|replica)\./.test(k)),
        [],
        'one record per edge, one owner key per edge, one lease per replica: no per-payload keys',
      );
      await waitFor(async () => (await kv.get('edge.eu.dc'))?.json<{ claim?: unknown }>().claim === undefined, {
        message: 'the record carries no offer state once the edge is idle',
      });
    } finally {
      admin.close();
      await nc.close();
      await edge.close();
      await cp.close();
    }
  });

  test('a payload the control plane cannot decode (40 metadata entries, limit 32) is dead-lettered and the next goes on at once', async () => {
    await using s = await site('ud');
    const tally = new Tally();
    const cp = await startControlPlane({ natsUrl: s.hub.url, log: testLog(), plugins: [tallying(tally)] });
    const sender = new Sender();
    const edge = await s.edge({ plugins: [sender], limits: { maxMetadataEntries: 64 } });
    try {
      await sender.send({ n: 0 });
      const metadata = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v']));
      await sender.send({ n: 99 }, { metadata });
      await sender.send({ n: 1 });
      await waitFor(() => tally.handledCount >= 2, { timeoutMs: 3000, message: 'the next payload is not held back' });
      assert.equal(cp.payloads.counters.rejected, 1);
      assert.equal(cp.payloads.counters.deadLettered, 1);
      assert.deepEqual(tally.summary({ ud: 2 }), { lost: 0, unflagged: 0, outOfOrder: 0 }, tally.describe({ ud: 2 }));
      await sender.send({ n: 2 });
      await waitFor(() => tally.handledCount >= 3, { timeoutMs: 3000, message: 'and the one after' });
    } finally {
      await edge.close();
      await cp.close();
    }
  });
});
