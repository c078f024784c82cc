import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { Receiver } from '../fixtures/receiver.js';
import { waitFor } from '../helpers/index.js';
import { afterDispatch, runReplay, sendBatch, startAdminSite } from './site.js';

const body = (p: { payload: Uint8Array }) => JSON.parse(Buffer.from(p.payload).toString()) as { n: number };

describe('admin API: payloads and replay', () => {
  test('replay of a time window offers exactly those payloads, once each, flagged as replays', async () => {
    const r = new Receiver();
    await using site = await startAdminSite([r]);
    const eu = await site.edge('w-eu', 'eu');
    const us = await site.edge('w-us', 'us');
    await sendBatch(eu, r, [{ n: 0 }, { n: 1 }], { correlationId: 'before' });
    const mid = await sendBatch(eu, r, [{ n: 2 }, { n: 3 }, { n: 4 }], { correlationId: 'mid' });
    const midUs = await sendBatch(us, r, [{ n: 100 }]);
    await sendBatch(eu, r, [{ n: 5 }], { correlationId: 'after' });
    const originals = new Map(r.accepted.map((p) => [p.id, p]));
    r.offers.length = 0;
    r.accepted.length = 0;

    const t0 = Date.now();
    const progress = await runReplay(site.admin, {
      filter: { namespace: 'eu', sinceUnixMs: mid.from, untilUnixMs: midUs.to },
    });
    const last = progress.at(-1)!;
    assert.equal(last.done, true);
    assert.equal(last.error, '');
    assert.deepEqual(
      { matched: last.matched, offered: last.offered, handled: last.handled, failed: last.failed, dryRun: last.dryRun },
      { matched: 3, offered: 3, handled: 3, failed: 0, dryRun: false },
    );
    assert.equal(last.scanned, 3, 'the namespace filter is a subject filter: the us payload is not even read');
    assert.ok(progress[0]!.total >= 3);
    assert.deepEqual(
      r.accepted.map((p) => p.replay?.of),
      mid.ids,
      'exactly the window, in order',
    );
    for (const p of r.accepted) {
      const o = originals.get(p.replay!.of)!;
      assert.equal(p.id, `${o.id}.replay.${last.replayId}`, 'a new id that names the original and the run');
      assert.ok(p.replay!.at.getTime() >= t0 && p.replay!.at.getTime() <= Date.now());
      assert.equal(p.deliveryCount, 1);
      assert.equal(p.correlationId, 'mid');
      assert.deepEqual(body(p), body(o));
      assert.equal(p.edgeId, 'w-eu');
      assert.equal(p.edgeNamespace, 'eu');
      assert.equal(p.edgeTimestamp.getTime(), o.edgeTimestamp.getTime());
      assert.equal(
        p.receivedTimestamp.getTime(),
        o.receivedTimestamp.getTime(),
        'received = when the hub stored the original',
      );
    }
    assert.equal(
      (await afterDispatch(eu, r)).length,
      3,
      'replays are not re-published: the dispatcher offers nothing more',
    );
  });

  test('replay of one correlation id, across edges and namespaces', async () => {
    const r = new Receiver();
    await using site = await startAdminSite([r]);
    const a = await site.edge('c-a', 'eu');
    const b = await site.edge('c-b', 'us');
    const x1 = await sendBatch(a, r, [{ n: 1 }], { correlationId: 'order-42' });
    await sendBatch(a, r, [{ n: 2 }], { correlationId: 'order-43' });
    const x2 = await sendBatch(b, r, [{ n: 3 }], { correlationId: 'order-42' });
    await sendBatch(b, r, [{ n: 4 }]);
    r.accepted.length = 0;
    const last = (await runReplay(site.admin, { filter: { correlationId: 'order-42' } })).at(-1)!;
    assert.deepEqual([last.matched, last.offered, last.handled, last.failed], [2, 2, 2, 0]);
    assert.deepEqual(
      r.accepted.map((p) => p.replay?.of),
      [...x1.ids, ...x2.ids],
    );
    assert.deepEqual(
      r.accepted.map((p) => p.correlationId),
      ['order-42', 'order-42'],
    );
  });

  test('a dry run changes nothing: receivers see nothing, the counts say what would be offered', async () => {
    const r = new Receiver();
    await using site = await startAdminSite([r]);
    const e = await site.edge('dry', 'eu');
    await sendBatch(e, r, [{ n: 1 }, { n: 2 }, { n: 3 }]);
    const nc = await connect({ servers: site.hub.url });
    const jsm = await jetstreamManager(nc);
    const kvm = new Kvm(jetstream(nc));
    const state = async () => ({
      pay: (await jsm.streams.info('HS_PAYLOADS')).state.last_seq,
      dlq: (await jsm.streams.info('HS_DLQ')).state.messages,
      dispatch: (await kvm.open('hs-dispatch').then((kv) => kv.get('edge.eu.dry')))?.json<{ streamSeq: number }>()
        .streamSeq,
    });
    const consumerNames = async () => (await jsm.consumers.list('HS_PAYLOADS').next()).map((c) => c.name).sort();
    const consumersBefore = await consumerNames();
    // The record is written once the edge's lane ran dry (shortly after the last payload was handled).
    const before = await waitFor(async () => {
      const st = await state();
      return st.dispatch === st.pay ? st : undefined;
    });
    const offers = r.offers.length;
    const progress = await runReplay(site.admin, { filter: { edgeId: 'dry' }, dryRun: true });
    const last = progress.at(-1)!;
    assert.deepEqual(
      { matched: last.matched, offered: last.offered, handled: last.handled, failed: last.failed, dryRun: last.dryRun },
      { matched: 3, offered: 0, handled: 0, failed: 0, dryRun: true },
    );
    assert.deepEqual(await state(), before, 'streams and the dispatch record are as they were');
    assert.equal((await afterDispatch(e, r)).length, offers, 'no receiver was offered anything');
    assert.deepEqual(await consumerNames(), consumersBefore, 'the scan left no consumer behind');
    await nc.close();
  });

  test('replay to one plugin only; an unknown plugin is refused by name', async () => {
    const first = new Receiver('first');
    first.decide = () => false;
    const second = new Receiver('second');
    await using site = await startAdminSite([first, second]);
    const e = await site.edge('to-one', 'eu');
    const { ids } = await sendBatch(e, second, [{ n: 1 }, { n: 2 }]);
    first.offers.length = 0;
    second.accepted.length = 0;
    const last = (await runReplay(site.admin, { filter: { edgeId: 'to-one' }, plugin: 'second' })).at(-1)!;
    assert.deepEqual([last.matched, last.handled], [2, 2]);
    assert.equal(first.offers.length, 0, 'the first receiver was skipped');
    assert.deepEqual(
      second.accepted.map((p) => p.replay?.of),
      ids,
    );

    await assert.rejects(
      runReplay(site.admin, { plugin: 'nobody' }),
      (e: Error & { code?: string; grpcCode?: number }) => {
        assert.equal(e.code, 'HS_ERR_INVALID_ARGUMENT');
        assert.equal(e.grpcCode, 3);
        // hubspoke-gateway: the built-in receiver of gateway telemetry, first on every control plane with receivers.
        assert.match(
          e.message,
          /plugin "nobody" is not loaded on this control plane \(receivers: hubspoke-gateway, first, second\)/,
        );
        return true;
      },
    );
    await assert.rejects(
      runReplay(site.admin, { filter: { edgeId: 'bad.edge' } }),
      /HS_ERR_INVALID_ARGUMENT: Replay: filter.edge_id: "bad.edge" is not a name/,
    );
    await assert.rejects(
      runReplay(site.admin, { filter: { sinceUnixMs: 2000, untilUnixMs: 1000 } }),
      /HS_ERR_INVALID_ARGUMENT: Replay: filter.until_unix_ms: until .* must be after since/,
    );
  });

  test('a replayed copy that fails is counted and reported, not retried and not dead-lettered', async () => {
    const r = new Receiver();
    await using site = await startAdminSite([r]);
    const e = await site.edge('rp-fail', 'eu');
    const { ids } = await sendBatch(e, r, [{ n: 1 }, { n: 2 }, { n: 3 }]);
    r.offers.length = 0;
    r.decide = (p) => {
      if (body(p).n === 2) throw new Error('still broken');
      return body(p).n !== 3;
    };
    const progress = await runReplay(site.admin, { filter: { edgeId: 'rp-fail' } });
    const last = progress.at(-1)!;
    assert.deepEqual([last.matched, last.offered, last.handled, last.failed], [3, 3, 1, 2]);
    const failures = progress.flatMap((p) => p.failures);
    assert.deepEqual(
      failures.map((f) => [f.payloadId, f.plugin]),
      [
        [ids[1], 'receiver'],
        [ids[2], ''],
      ],
    );
    assert.match(failures[0]!.reason, /still broken/);
    assert.match(failures[1]!.reason, /no receiver handled it/);
    assert.equal((await afterDispatch(e, r)).length, 3, 'each offered once');
    assert.equal(site.cp.payloads.counters.deadLettered, 0);
  });

  test('list and get payloads: filters, paging, by id and by stream seq', async () => {
    const r = new Receiver();
    await using site = await startAdminSite([r]);
    const a = await site.edge('l-a', 'eu');
    const b = await site.edge('l-b', 'us');
    const ba = await sendBatch(a, r, [{ n: 1 }, { n: 2 }, { n: 3 }], { correlationId: 'k' });
    await sendBatch(b, r, [{ n: 4 }]);
    const all = await site.admin.listPayloads({});
    assert.equal(all.payloads.length, 4);
    assert.equal(all.truncated, false);
    const p0 = all.payloads[0]!;
    assert.deepEqual(
      { id: p0.id, ns: p0.namespace, edge: p0.edgeId, corr: p0.correlationId, size: p0.size, body: p0.body.length },
      { id: ba.ids[0], ns: 'eu', edge: 'l-a', corr: 'k', size: 7, body: 0 },
    );
    assert.match(p0.origin, /^plugin:sender@l-a$/);
    assert.ok(p0.receivedUnixMs >= ba.from && p0.edgeTimeUnixMs >= ba.from - 5);

    const page1 = await site.admin.listPayloads({ filter: { edgeId: 'l-a' }, limit: 2 });
    assert.deepEqual(
      page1.payloads.map((p) => p.id),
      ba.ids.slice(0, 2),
    );
    assert.equal(page1.truncated, true);
    const page2 = await site.admin.listPayloads({
      filter: { edgeId: 'l-a' },
      limit: 2,
      afterSeq: page1.payloads[1]!.streamSeq,
    });
    assert.deepEqual(
      page2.payloads.map((p) => p.id),
      ba.ids.slice(2),
    );
    assert.equal(page2.truncated, false);
    assert.equal((await site.admin.listPayloads({ filter: { namespace: 'us' } })).payloads.length, 1);
    assert.equal((await site.admin.listPayloads({ filter: { correlationId: 'k' } })).payloads.length, 3);
    assert.equal((await site.admin.listPayloads({ filter: { sinceUnixMs: Date.now() } })).payloads.length, 0);

    const byId = await site.admin.getPayload({ id: ba.ids[1]! });
    assert.equal(byId.payload?.streamSeq, page1.payloads[1]!.streamSeq);
    assert.deepEqual(JSON.parse(Buffer.from(byId.payload!.body).toString()), { n: 2 });
    const bySeq = await site.admin.getPayload({ streamSeq: p0.streamSeq });
    assert.equal(bySeq.payload?.id, p0.id);
    await assert.rejects(site.admin.getPayload({ id: 'nope' }), (e: Error & { grpcCode?: number }) => e.grpcCode === 5);
    await assert.rejects(site.admin.getPayload({ streamSeq: 999_999 }), /no payload at stream_seq 999999/);
    await assert.rejects(
      site.admin.getPayload({}),
      /HS_ERR_INVALID_ARGUMENT: GetPayload: id: give exactly one of id and stream_seq/,
    );
    await assert.rejects(
      site.admin.listPayloads({ limit: 20_000 }),
      /HS_ERR_INVALID_ARGUMENT: ListPayloads: limit: 20000 is above 10000/,
    );
    await assert.rejects(
      site.admin.listPayloads({}).then(() => site.admin.redrive({})),
      /give seqs, or all/,
    );
  });
});

test('a page with bodies stops before 16 MiB (truncated), and the next page has the rest', async () => {
  const r = new Receiver();
  await using site = await startAdminSite([r]);
  const e = await site.edge('big', 'eu');
  const body = new Uint8Array(900_000).fill(7);
  for (let i = 0; i < 20; i++) await e.send(body);
  await waitFor(() => r.accepted.length === 20, { timeoutMs: 10_000 });
  const first = await site.admin.listPayloads({ includeBody: true });
  assert.equal(first.truncated, true);
  assert.equal(first.payloads.length, 18, '18 × 900 kB fit under 16 MiB');
  assert.ok(first.payloads.every((p) => p.body.length === 900_000));
  const rest = await site.admin.listPayloads({ includeBody: true, afterSeq: first.payloads.at(-1)!.streamSeq });
  assert.deepEqual([rest.payloads.length, rest.truncated], [2, false]);
  assert.equal((await site.admin.listPayloads({})).payloads.length, 20, 'without bodies the page is not cut');
});

describe('admin API: dead letters', () => {
  // Behind a leaf, payloads carry an outbox sequence (the redriven copy's is 0); straight to the hub they do not,
  // and the dispatcher, which remembers the ids it has dealt with, must still offer the redriven copy.
  for (const leaf of [true, false]) {
    const name = `a poison payload is dead-lettered after 2 offers; redriven once the receiver is fixed, it is handled and leaves the DLQ (${leaf ? 'edge behind a leaf' : 'edge straight to the hub'})`;
    test(name, async () => {
      const r = new Receiver('picky');
      let broken = true;
      r.decide = (p) => {
        if (broken && body(p).n === 13) throw new Error('cannot parse 13');
        return true;
      };
      await using site = await startAdminSite([r], { leaf });
      const e = await site.edge(leaf ? 'dl-leaf' : 'dl-direct', 'eu');
      const { id } = await e.send({ n: 13 }, { correlationId: 'bad' });
      await e.send({ n: 14 });
      await waitFor(() => site.cp.payloads.counters.deadLettered === 1 && r.accepted.length === 1, { timeoutMs: 8000 });
      assert.equal(r.offers.filter((p) => p.id === id).length, 2, 'maxDeliveries 2');

      const { deadLetters } = await site.admin.listDeadLetters({});
      assert.equal(deadLetters.length, 1);
      const dl = deadLetters[0]!;
      assert.equal(dl.payload?.id, id);
      assert.equal(dl.payload?.correlationId, 'bad');
      assert.equal(dl.plugin, 'picky');
      assert.equal(dl.attempts, 2);
      assert.match(dl.reason, /picky: acceptEdgePayload failed: cannot parse 13/);
      assert.ok(dl.payload!.streamSeq > 0 && dl.deadLetteredUnixMs > 0);
      assert.equal((await site.admin.listDeadLetters({ filter: { plugin: 'other' } })).deadLetters.length, 0);

      broken = false;
      const before = r.accepted.length;
      const reply = await site.admin.redrive({ seqs: [dl.seq, 999_999] });
      assert.deepEqual(reply.missing, [999_999]);
      assert.equal(reply.redriven.length, 1);
      assert.equal(reply.redriven[0]!.payloadId, id);
      await waitFor(() => r.accepted.length === before + 1, {
        timeoutMs: 5000,
        message: `the redriven payload was not handled (dispatcher duplicates: ${site.cp.payloads.counters.duplicates})`,
      });
      const p = r.accepted.at(-1)!;
      assert.equal(p.id, id, 'a redriven payload keeps its id');
      assert.equal(p.replay, undefined, 'and is not a replay');
      assert.equal(body(p).n, 13);
      assert.equal((await site.admin.listDeadLetters({})).deadLetters.length, 0, 'gone from the DLQ');
      const copy = (await site.admin.getPayload({ streamSeq: reply.redriven[0]!.streamSeq })).payload!;
      assert.equal(copy.redriven, true);
      assert.equal(copy.sequence, 0);
      await afterDispatch(e, r);
      assert.equal(r.accepted.filter((x) => x.id === id).length, 1, 'handled once');
    });
  }

  test('drop removes dead letters for good; --all takes a filter', async () => {
    const r = new Receiver();
    r.decide = (p) => body(p).n < 10;
    await using site = await startAdminSite([r]);
    const a = await site.edge('dr-a', 'eu');
    const b = await site.edge('dr-b', 'us');
    await a.send({ n: 10 });
    await a.send({ n: 11 });
    await b.send({ n: 12 });
    await waitFor(() => site.cp.payloads.counters.deadLettered === 3, { timeoutMs: 8000 });
    const { deadLetters } = await site.admin.listDeadLetters({});
    assert.deepEqual(
      deadLetters.map((d) => d.reason),
      Array(3).fill('no receiver handled it (every acceptEdgePayload returned false)'),
    );
    // Edges are dispatched side by side: dead letters of two edges come in either order.
    const first = deadLetters.find((d) => d.payload?.edgeId === 'dr-a')!.seq;
    assert.deepEqual(await site.admin.drop({ seqs: [first] }), { dropped: [first], missing: [] });
    assert.deepEqual(await site.admin.drop({ seqs: [first] }), { dropped: [], missing: [first] });
    await assert.rejects(site.admin.drop({ seqs: [1], all: true }), /give seqs or all, not both/);
    await assert.rejects(site.admin.drop({ seqs: [1], filter: { edgeId: 'dr-a' } }), /a filter goes with all only/);
    const dropped = await site.admin.drop({ all: true, confirm: 'all', filter: { namespace: 'us' } });
    assert.equal(dropped.dropped.length, 1);
    const left = (await site.admin.listDeadLetters({})).deadLetters;
    assert.deepEqual(
      left.map((d) => d.payload?.edgeId),
      ['dr-a'],
    );
    await afterDispatch(a, r);
    assert.equal(
      r.accepted.filter((p) => !(JSON.parse(Buffer.from(p.payload).toString()) as { marker?: boolean }).marker).length,
      0,
      'dropping offers nothing',
    );
  });

  test('ListEdges lists the edges of the registry, with their state', async () => {
    await using site = await startAdminSite([new Receiver()]);
    await site.edge('le-1', 'eu');
    await waitFor(async () => (await site.admin.listEdges()).edges.length === 1, { message: 'the edge is listed' });
    const [e] = (await site.admin.listEdges()).edges;
    assert.equal(e?.['edgeId'], 'le-1');
    assert.equal(e?.['namespace'], 'eu');
    assert.equal(e?.['state'], 'online');
    assert.ok(Number(e?.['lastSeenUnixMs']) >= Number(e?.['firstSeenUnixMs']));
  });
});
