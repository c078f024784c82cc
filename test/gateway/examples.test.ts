// The gateway examples (examples/gateway/) as a user runs them: a rate limiter whose limits come Down and whose
// usage goes Up, and a response cache invalidated by Down events, on a real hub, edge and upstream.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { startControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode } from '@hubspoke/edge-node';
import { Direction, type Event } from '@hubspoke/sdk';
import { testLog } from '../fixtures/fabric.js';
import { startNatsServer, waitFor } from '../helpers/index.js';
import { call } from './client.js';
import { startUpstream } from './upstream.js';

const dir = fileURLToPath(new URL('../../examples/gateway/', import.meta.url));
const sha = (k: string) => createHash('sha256').update(k).digest('hex');

test('rate limiter: limits Down from the control plane, 429 above them at the edge, usage Up every second', async () => {
  await using hub = await startNatsServer({ domain: 'hub' });
  await using up = await startUpstream();
  const state = await mkdtemp(join(tmpdir(), 'hubspoke-gwx-'));
  const usage: Event[] = [];
  const cp = await startControlPlane({
    natsUrl: hub.url,
    log: testLog(),
    plugins: [{ plugin: join(dir, 'rate-limiter-control.js'), config: { limits: { metered: 3 } } }],
  });
  await cp.events.subscribe('ratelimit.usage', (ev) => void usage.push(ev));
  await cp.config.put('route.api', { path: '/api/', upstream: up.url });
  await cp.config.put('app.metered', { name: 'Metered', credentials: [sha('k-metered')] });
  await cp.config.put('app.free', { name: 'Free', credentials: [sha('k-free')] });
  const edge = await startEdgeNode({
    natsUrl: hub.url,
    edgeId: 'rl-1',
    namespace: 'eu',
    log: testLog(),
    stateDir: join(state, 'rl-1'),
    plugins: [join(dir, 'rate-limiter-edge.js')],
    gateway: {},
  });
  try {
    const gw = edge.gateway!.address;
    await waitFor(() => edge.gateway!.table.keys.size === 2);
    // The limits travel Down as a durable event; wait until the edge enforces them.
    await waitFor(async () => {
      const r = await call(gw, '/api/echo', { headers: { authorization: 'Bearer k-metered' } });
      return r.headers['x-ratelimit-limit'] === '3' || r.status === 429;
    });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await call(gw, '/api/echo', { headers: { authorization: 'Bearer k-metered' } })).status);
    assert.equal(statuses.at(-1), 429);
    assert.ok(statuses.filter((s) => s === 429).length >= 2, statuses.join(','));
    const r = await call(gw, '/api/echo', { headers: { authorization: 'Bearer k-metered' } });
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers['retry-after']) > 0);
    const free = await call(gw, '/api/echo', { headers: { authorization: 'Bearer k-free' } });
    assert.equal(free.status, 200);
    assert.equal(free.headers['x-ratelimit-limit'], '600');
    await waitFor(() => usage.some((e) => (e.payload as Record<string, unknown>)['free'] !== undefined), {
      message: 'usage went Up',
    });
    assert.equal(usage[0]?.edgeId, 'rl-1');
  } finally {
    await edge.close();
    await cp.close();
    await rm(state, { recursive: true, force: true });
  }
});

test('response cache: a second GET is a HIT without the upstream; a Down invalidation evicts it at the edge', async () => {
  await using hub = await startNatsServer({ domain: 'hub' });
  await using up = await startUpstream();
  const state = await mkdtemp(join(tmpdir(), 'hubspoke-gwx-'));
  const cp = await startControlPlane({ natsUrl: hub.url, log: testLog() });
  await cp.config.put('route.api', { path: '/api/', upstream: up.url });
  await cp.config.put('app.a', { name: 'A', credentials: [sha('k-a')] });
  const edge = await startEdgeNode({
    natsUrl: hub.url,
    edgeId: 'cache-1',
    namespace: 'eu',
    log: testLog(),
    stateDir: join(state, 'cache-1'),
    plugins: [join(dir, 'response-cache.js')],
    gateway: {},
  });
  try {
    const gw = edge.gateway!.address;
    await waitFor(() => edge.gateway!.table.keys.size === 1);
    const get = () => call(gw, '/api/items/1?v=1', { headers: { authorization: 'Bearer k-a' } });
    const a = await get();
    assert.equal(a.headers['x-cache'], 'MISS');
    const n = up.seen.length;
    const b = await get();
    assert.equal(b.status, 200);
    assert.equal(b.headers['x-cache'], 'HIT');
    assert.equal(b.text, a.text);
    assert.equal(up.seen.length, n, 'the upstream was not asked');
    assert.equal((await call(gw, '/api/items/1?v=1')).status, 401, 'no cached answer without auth');
    await cp.events.publish('cache.invalidate', { prefix: '/api/items/' }, Direction.Down);
    await waitFor(async () => (await get()).headers['x-cache'] === 'MISS', { message: 'evicted by the Down event' });
  } finally {
    await edge.close();
    await cp.close();
    await rm(state, { recursive: true, force: true });
  }
});
