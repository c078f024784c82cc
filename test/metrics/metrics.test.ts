import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode } from '@hubspoke/edge-node';
import { Direction } from '@hubspoke/sdk';
import { testLog } from '../fixtures/fabric.js';
import { Receiver, Sender } from '../fixtures/receiver.js';
import { Recorder } from '../fixtures/recorder.js';
import { startNatsServer, waitFor, type NatsServer } from '../helpers/index.js';

/** One sample of a Prometheus text exposition, e.g. `hubspoke_edges{state="online"}`; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

async function scrape(address: string, path = '/metrics'): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://${address}${path}`);
  return { status: res.status, text: await res.text() };
}

describe('metrics and health', () => {
  let hub: NatsServer;
  let dir: string;
  before(async () => {
    hub = await startNatsServer({ domain: 'hub' });
    dir = await mkdtemp(join(tmpdir(), 'hubspoke-met-'));
  });
  after(async () => {
    await hub?.[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
  });

  test('/metrics counters move when traffic flows, on both runtimes', async () => {
    const receiver = new Receiver();
    const rec = new Recorder('rec-up', 'm.>');
    const cp = await startControlPlane({
      natsUrl: hub.url,
      log: testLog(),
      plugins: [receiver, rec],
      metrics: { listen: '127.0.0.1:0' },
    });
    const sender = new Sender();
    const edge = await startEdgeNode({
      natsUrl: hub.url,
      edgeId: 'met-1',
      namespace: 'eu',
      log: testLog(),
      plugins: [sender],
      heartbeatMs: 200,
      stateDir: join(dir, 'met-1'),
      metrics: {},
    });
    try {
      assert.ok(cp.metrics && edge.metrics);
      const c0 = await scrape(cp.metrics.address);
      assert.equal(c0.status, 200);
      assert.equal(sample(c0.text, 'hubspoke_events_received_total', { runtime: 'control' }), 0);
      assert.equal(sample(c0.text, 'hubspoke_payloads_handled_total'), 0);
      assert.ok(c0.text.includes('process_cpu_user_seconds_total'), 'default process metrics');
      await waitFor(
        async () => sample((await scrape(cp.metrics!.address)).text, 'hubspoke_edges', { state: 'online' }) === 1,
      );

      for (let i = 0; i < 5; i++) await edge.events.publish('m.up', { i }, Direction.Up);
      for (let i = 0; i < 3; i++) await sender.send({ i });
      await waitFor(() => receiver.accepted.length === 3 && rec.events.length === 5);

      const c1 = (await scrape(cp.metrics.address)).text;
      assert.equal(sample(c1, 'hubspoke_events_received_total'), 5);
      assert.ok((sample(c1, 'hubspoke_events_delivered_total') ?? 0) >= 5);
      assert.equal(sample(c1, 'hubspoke_payloads_handled_total'), 3);
      assert.equal(sample(c1, 'hubspoke_payloads_offered_total'), 3);
      assert.equal(sample(c1, 'hubspoke_payload_dispatch_seconds_count'), 3);
      assert.equal(sample(c1, 'hubspoke_payload_dispatch_seconds_bucket', { le: '+Inf' }), 3);
      assert.ok((sample(c1, 'hubspoke_heartbeats_total') ?? 0) >= 1);
      assert.equal(sample(c1, 'hubspoke_heartbeats_rejected_total'), 0);
      assert.equal(sample(c1, 'hubspoke_nats_connected'), 1);
      assert.equal(sample(c1, 'hubspoke_config_changes_total'), 0);

      const rev = await cp.config.put('m.cfg', { on: true }, { namespace: 'eu' });
      await waitFor(
        async () => sample((await scrape(edge.metrics!.address)).text, 'hubspoke_config_applied_revision') === rev,
      );
      const c2 = await waitFor(async () => {
        const t = (await scrape(cp.metrics!.address)).text;
        return sample(t, 'hubspoke_config_lag_edges') === 0 ? t : undefined;
      });
      assert.equal(sample(c2, 'hubspoke_config_changes_total'), 1);
      assert.equal(sample(c2, 'hubspoke_config_refused_total'), 0);
      assert.equal(sample(c2, 'hubspoke_schedule_claimed_total'), 0, 'no scheduler plugin: the counters exist, at 0');
      assert.equal(sample(c2, 'hubspoke_schedule_timed_out_total'), 0);
      const e1 = (await scrape(edge.metrics.address)).text;
      assert.equal(
        sample(e1, 'hubspoke_events_published_total', { runtime: 'edge', node: 'met-1', namespace: 'eu' }),
        5,
      );
      assert.equal(sample(e1, 'hubspoke_outbox_depth'), 0);
      assert.equal((await scrape(edge.metrics.address, '/healthz')).status, 200);
      assert.equal((await scrape(edge.metrics.address, '/readyz')).status, 200);
      assert.equal((await scrape(edge.metrics.address, '/nope')).status, 404);
    } finally {
      await edge.close();
      await cp.close();
    }
  });

  test('/readyz fails while NATS is down and recovers when it returns; /healthz stays up', async () => {
    await using own = await startNatsServer({ domain: 'hub' });
    const cp = await startControlPlane({ natsUrl: own.url, log: testLog(), metrics: {} });
    try {
      const addr = cp.metrics!.address;
      assert.equal((await scrape(addr, '/readyz')).status, 200);
      await own.stop();
      const down = await waitFor(async () => {
        const r = await scrape(addr, '/readyz');
        return r.status === 503 ? r : undefined;
      });
      assert.match(down.text, /not connected to NATS/);
      assert.equal((await scrape(addr, '/healthz')).status, 200);
      assert.equal(sample((await scrape(addr)).text, 'hubspoke_nats_connected'), 0);
      await own.restart();
      await waitFor(async () => (await scrape(addr, '/readyz')).status === 200, { timeoutMs: 15000 });
    } finally {
      await cp.close();
    }
  });
});
