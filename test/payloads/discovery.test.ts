import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startControlPlane } from '@hubspoke/control-plane';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { testLog } from '../fixtures/fabric.js';
import { Receiver, Sender } from '../fixtures/receiver.js';
import { waitFor } from '../helpers/index.js';
import { leafSites } from './leaf-site.js';

// Discovery reads HS_PAYLOADS's STREAM.INFO, which carries every source (one per edge behind a leaf). It runs less
// often as sources add up, and an edge's outbox request takes the edge at once meanwhile.
describe('finding edges with payloads', () => {
  const sites = leafSites('hubspoke-discovery-');

  test('with 500 sources discovery runs half as often; an edge behind a leaf is taken at its first request', async () => {
    await using site = await sites.site('disc');
    const nc = await connect({ servers: site.hub.url });
    const r = new Receiver();
    const cp = await startControlPlane({
      natsUrl: site.hub.url,
      log: testLog(),
      plugins: [r],
      payloads: { discoverMs: 200 },
    });
    try {
      // 500 sources of edges long gone (their leaves' domains answer nothing), as a hub of many edges holds.
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info('HS_PAYLOADS');
      const stale = Array.from({ length: 500 }, (_, i) => ({
        name: `HS_OUTBOX_${i.toString(16).padStart(32, '0')}`,
        external: { api: `$JS.edge-gone-${i}.API`, deliver: `hs.src.eu.gone-${i}` },
      }));
      await jsm.streams.update('HS_PAYLOADS', { ...info.config, sources: stale });
      // Discovery's requests are the STREAM.INFO ones with a subject filter (the sourcing's own reads have none).
      const asked: number[] = [];
      const sub = nc.subscribe('$JS.API.STREAM.INFO.HS_PAYLOADS', {
        callback: (_e, m) => {
          if (m.string().includes('subjects_filter')) asked.push(performance.now());
        },
      });
      await nc.flush();
      await waitFor(() => asked.length >= 8, { timeoutMs: 20_000, message: `discovery rounds seen: ${asked.length}` });
      sub.unsubscribe();
      // The first two rounds may have read the stream before the sources came; then 2 steps of 200 ms apart (a
      // busy machine only makes the gaps longer), where every 200 ms was the pace without sources.
      const gaps = asked.slice(2).map((t, i) => t - (asked[i + 1] as number));
      const median = [...gaps].sort((x, y) => x - y)[gaps.length >> 1] as number;
      assert.ok(
        median >= 300,
        `discovery every ${Math.round(median)} ms with 500 sources (gaps ${gaps.map(Math.round)})`,
      );

      // An edge started now is sourced at its first request and taken by the control plane then, not at a later round.
      const sender = new Sender();
      const edge = await site.edge({ plugins: [sender] });
      try {
        for (let n = 0; n < 20; n++) await sender.send({ n });
        await waitFor(() => r.accepted.length === 20, { message: `handled ${r.accepted.length}/20` });
        assert.deepEqual(
          r.accepted.map((p) => (JSON.parse(Buffer.from(p.payload).toString()) as { n: number }).n),
          Array.from({ length: 20 }, (_, n) => n),
        );
      } finally {
        await edge.close();
      }
    } finally {
      await cp.close();
      await nc.close();
    }
  });

  test('an edge behind a leaf is taken at its outbox request, between discovery rounds', async () => {
    await using site = await sites.site('nudge');
    const r = new Receiver();
    // Discovery once at the start, then not for a minute: only the edge's request can get its payloads taken.
    const cp = await startControlPlane({
      natsUrl: site.hub.url,
      log: testLog(),
      plugins: [r],
      payloads: { discoverMs: 60_000 },
    });
    const sender = new Sender();
    const edge = await site.edge({ plugins: [sender] });
    try {
      for (let n = 0; n < 30; n++) await sender.send({ n });
      await waitFor(() => r.accepted.length === 30, {
        timeoutMs: 15_000,
        message: `handled ${r.accepted.length}/30 with no discovery round`,
      });
      assert.ok(r.accepted.every((p) => p.deliveryCount === 1));
    } finally {
      await edge.close();
      await cp.close();
    }
  });
});
