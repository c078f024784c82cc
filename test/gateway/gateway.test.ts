// The edge gateway against real nats-servers and a real HTTP upstream: routes, apps and users by config sync,
// every hook in order, blocking, changes, failures (closed for request hooks, open for response hooks),
// deadlines and the breaker, SSE as it comes, custom endpoints, telemetry at the edge and the control plane.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { startControlPlane, type ControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode, type EdgeNode } from '@hubspoke/edge-node';
import { testLog } from '../fixtures/fabric.js';
import { startNatsServer, waitFor, type NatsServer } from '../helpers/index.js';
import { call } from './client.js';
import { Collector, Endpoints, HookPlugin } from './plugins.js';
import { startUpstream, type Upstream } from './upstream.js';

const sha = (k: string) => createHash('sha256').update(k).digest('hex');
const KEY = 'sk-test-alpha';
const auth = { authorization: `Bearer ${KEY}` };

describe('edge gateway', () => {
  let hub: NatsServer;
  let dir: string;
  let up: Upstream;
  let cp: ControlPlane;
  let edge: EdgeNode;
  const hooks = new HookPlugin();
  const central = new Collector('central');
  let gw: string;

  before(async () => {
    hub = await startNatsServer({ domain: 'hub' });
    dir = await mkdtemp(join(tmpdir(), 'hubspoke-gw-'));
    up = await startUpstream();
    cp = await startControlPlane({ natsUrl: hub.url, log: testLog(), plugins: [central] });
    await cp.config.put('route.openai', {
      path: '/llm/openai/',
      upstream: `${up.url}/v1`,
      prices: { promptPer1k: 1, completionPer1k: 2, currency: 'EUR' },
    });
    await cp.config.put('route.slow', { path: '/slow/', upstream: up.url, timeoutMs: 300 });
    await cp.config.put('route.down', { path: '/down/', upstream: 'http://127.0.0.1:9' });
    await cp.config.put('app.alpha', { name: 'Alpha', credentials: [sha(KEY)], userId: 'ann' });
    await cp.config.put('app.off', { name: 'Off', credentials: [sha('sk-off')], active: false });
    await cp.config.put('user.ann', { name: 'Ann', email: 'ann@example.com' });
    edge = await startEdgeNode({
      natsUrl: hub.url,
      edgeId: 'gw-1',
      namespace: 'eu',
      log: testLog(),
      stateDir: join(dir, 'gw-1'),
      plugins: [hooks, new Endpoints()],
      metrics: {},
      gateway: {
        listen: '127.0.0.1:0',
        hookTimeoutMs: 150,
        maxBodyBytes: 1000,
        maxHeaderBytes: 4096,
        breaker: { failures: 3, openMs: 500 },
        telemetry: { flushMs: 20 },
      },
    });
    gw = edge.gateway!.address;
    await waitFor(() => edge.gateway!.table.routes.length === 3 && edge.gateway!.table.keys.size === 1);
  });
  after(async () => {
    await edge?.close();
    await cp?.close();
    await up?.[Symbol.asyncDispose]();
    await hub?.[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    hooks.b = {};
  });

  test('proxies within the route with key auth: path after the prefix, query, id, trace and multi-valued headers', async () => {
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const r = await call(gw, '/llm/openai/echo/x?q=1&q=2', {
      headers: { ...auth, traceparent: tp, 'x-multi': ['a', 'b'] },
    });
    assert.equal(r.status, 200, r.text);
    const seen = r.json<{ url: string; headers: Record<string, string[]> }>();
    assert.equal(seen.url, '/v1/echo/x?q=1&q=2');
    assert.deepEqual(seen.headers['traceparent'], [tp]);
    assert.deepEqual(seen.headers['x-multi'], ['a', 'b']);
    const id = r.headers['x-request-id'] as string;
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(seen.headers['x-request-id'], [id]);
    assert.equal(r.headers['x-upstream'], 'yes');
    const c = await call(gw, '/llm/openai/cookies', { headers: auth });
    assert.deepEqual(c.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(c.headers['x-multi'], 'one, two');
  });

  test('refuses missing, unknown and inactive keys with 401, never reaching the upstream', async () => {
    const before = up.seen.length;
    for (const h of [{}, { authorization: 'Bearer nope' }, { authorization: 'Bearer sk-off' }]) {
      const r = await call(gw, '/llm/openai/echo', { headers: h });
      assert.equal(r.status, 401);
      assert.equal(r.json<{ error: { code: string } }>().error.code, 'HS_ERR_UNAUTHENTICATED');
    }
    assert.equal(up.seen.length, before);
  });

  test('runs every hook in order, then collectors at the edge and at the control plane, once each', async () => {
    const r = await call(gw, '/llm/openai/chat/completions', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"model":"gpt-test"}',
    });
    assert.equal(r.status, 200);
    const id = r.headers['x-request-id'] as string;
    await waitFor(() => hooks.stepsOf(id).length >= 8, { message: `steps ${hooks.stepsOf(id).join(',')}` });
    const steps = hooks.stepsOf(id);
    assert.deepEqual(steps.slice(0, 5), ['pre', 'post', 'headers', 'write', 'complete']);
    assert.deepEqual([...steps.slice(5)].sort(), ['analytics', 'budget', 'log']);
    const post = hooks.calls.find((c) => c.requestId === id && c.step === 'post');
    assert.deepEqual(post?.detail, { app: 'alpha', user: 'ann' });
    const write = hooks.calls.find((c) => c.requestId === id && c.step === 'write');
    assert.equal((write?.detail as { stream: boolean }).stream, false);
    const log = hooks.logs.find((l) => l.requestId === id)!;
    assert.equal(log.route, 'openai');
    assert.equal(log.path, '/llm/openai/chat/completions');
    assert.equal(log.statusCode, 200);
    assert.equal(log.appId, 'alpha');
    assert.equal(log.userId, 'ann');
    assert.equal(log.edgeId, 'gw-1');
    assert.equal(log.requestBytes, 20);
    assert.ok(log.responseBytes > 0);
    const a = hooks.analytics.find((x) => x.requestId === id)!;
    assert.deepEqual([a.model, a.promptTokens, a.completionTokens, a.totalTokens], ['gpt-test', 12, 30, 42]);
    const b = hooks.budgets.find((x) => x.requestId === id)!;
    assert.equal(b.currency, 'EUR');
    assert.ok(Math.abs(b.cost - (0.012 * 1 + 0.03 * 2)) < 1e-9);
    await waitFor(
      () => central.logs.some((l) => l.requestId === id) && central.budgets.some((x) => x.requestId === id),
    );
    assert.equal(central.logs.filter((l) => l.requestId === id).length, 1);
    assert.equal(central.analytics.filter((l) => l.requestId === id).length, 1);
    assert.ok(central.logs.find((l) => l.requestId === id)!.timestamp instanceof Date);
  });

  test('a preAuth block answers 403 with its body; a postAuth block answers its status and headers', async () => {
    hooks.b = { block: { pre: { block: true, body: 'go away' } } };
    const a = await call(gw, '/llm/openai/echo', { headers: auth });
    assert.equal(a.status, 403);
    assert.equal(a.text, 'go away');
    hooks.b = {
      block: { post: { block: true, statusCode: 429, headers: { 'retry-after': '1' }, errorMessage: 'slow down' } },
    };
    const b = await call(gw, '/llm/openai/echo', { headers: auth });
    assert.equal(b.status, 429);
    assert.equal(b.headers['retry-after'], '1');
    assert.match(b.text, /slow down/);
    const id = b.headers['x-request-id'] as string;
    await waitFor(() => hooks.logs.some((l) => l.requestId === id));
    assert.equal(hooks.logs.find((l) => l.requestId === id)!.statusCode, 429);
  });

  test('hooks change the request (headers replace, path, body) and the response (status, headers, chunks)', async () => {
    hooks.b = {
      change: {
        pre: { headers: { 'x-added': 'pre', 'x-multi': 'one' } },
        post: { path: '/echo/rewritten', body: 'new body' },
      },
      headers: { statusCode: 201, headers: { 'x-from-hook': 'yes' } },
      shout: true,
    };
    const r = await call(gw, '/llm/openai/echo/original', {
      method: 'POST',
      headers: { ...auth, 'x-multi': ['a', 'b'] },
      body: 'old',
    });
    assert.equal(r.status, 201);
    assert.equal(r.headers['x-from-hook'], 'yes');
    const seen = JSON.parse(r.text.toLowerCase()) as { url: string; body: string; headers: Record<string, string[]> };
    assert.equal(seen.url, '/v1/echo/rewritten');
    assert.equal(seen.body, 'new body');
    assert.deepEqual(seen.headers['x-added'], ['pre']);
    assert.deepEqual(seen.headers['x-multi'], ['one']);
    assert.equal(r.text, r.text.toUpperCase());
  });

  test('a throwing request hook fails closed (503 HS_ERR_PLUGIN); a throwing response hook fails open', async () => {
    hooks.b = { throw: 'post' };
    const a = await call(gw, '/llm/openai/echo', { headers: auth });
    assert.equal(a.status, 503);
    assert.match(a.text, /HS_ERR_PLUGIN.*hooks/);
    hooks.b = { throw: 'headers' };
    assert.equal((await call(gw, '/llm/openai/echo', { headers: auth })).status, 200);
    hooks.b = { throw: 'write' };
    assert.equal((await call(gw, '/llm/openai/echo', { headers: auth })).status, 200);
  });

  test('SSE: each event reaches the client before the upstream ends, through onBeforeWrite one by one', async () => {
    const [host, port] = gw.split(':');
    const events: string[] = [];
    let first!: () => void;
    const gotFirst = new Promise<void>((r) => (first = r));
    let id = '';
    const done = new Promise<void>((resolve, reject) => {
      const req = request({ host, port: Number(port), path: '/llm/openai/sse', headers: auth }, (res) => {
        assert.equal(res.headers['content-type'], 'text/event-stream');
        id = res.headers['x-request-id'] as string;
        res.on('data', (c: Buffer) => {
          events.push(c.toString());
          first();
        });
        res.on('end', resolve);
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    up.release();
    await gotFirst;
    // The upstream holds its other events until released: the first arrived while the upstream was still open.
    assert.match(events.join(''), /"n":0/);
    assert.doesNotMatch(events.join(''), /"n":1/);
    for (let i = 0; i < 3; i++) up.release();
    await done;
    const all = events.join('');
    assert.match(all, /"n":2/);
    assert.match(all, /\[DONE\]/);
    const writes = hooks.calls.filter((c) => c.requestId === id && c.step === 'write');
    assert.equal(writes.length, 5);
    assert.ok(writes.every((w) => (w.detail as { stream: boolean }).stream));
    await waitFor(() => hooks.analytics.some((a) => a.requestId === id));
    assert.equal(hooks.analytics.find((a) => a.requestId === id)!.totalTokens, 12);
    const complete = hooks.calls.find((c) => c.requestId === id && c.step === 'complete');
    assert.equal((complete?.detail as { chunks: number }).chunks, 5);
  });

  test('a hung hook is answered at its deadline with 503; its breaker then refuses it fast, and closes once it answers', async () => {
    hooks.b = { hang: 'pre' };
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      const r = await call(gw, '/llm/openai/echo', { headers: auth });
      assert.equal(r.status, 503);
      assert.match(r.text, /HS_ERR_PLUGIN.*within 150 ms/);
      assert.ok(Date.now() - t0 >= 140, 'answered at the deadline, not before');
    }
    const r = await call(gw, '/llm/openai/echo', { headers: auth });
    assert.equal(r.status, 503);
    assert.match(r.text, /circuit breaker is open/);
    // Open for 500 ms, then one trial call; the plugin answers again, so the breaker closes.
    hooks.b = {};
    await waitFor(async () => (await call(gw, '/llm/openai/echo', { headers: auth })).status === 200, {
      timeoutMs: 5000,
    });
  });

  test('bad input gets 4xx and never reaches an upstream', async () => {
    const before = up.seen.length;
    const expect = async (path: string, status: number, o: Parameters<typeof call>[2] = {}) => {
      const r = await call(gw, path, { ...o, headers: { ...auth, ...o.headers } });
      assert.equal(r.status, status, `${o.method ?? 'GET'} ${path}: ${r.text}`);
      return r;
    };
    await expect('/llm/openai/../admin', 400);
    await expect('/llm/openai/%2e%2e/admin', 400);
    await expect('/llm/openai/%2E%2e%2fadmin', 400);
    await expect('/llm/openai/..%2fadmin', 400);
    await expect('/llm/openai/a\\..\\b', 400);
    await expect('/llm/openai/./x', 400);
    await expect('/llm/openai/%zz', 400);
    await expect('/nowhere/x', 404);
    await expect('/llm/openai/echo', 405, { method: 'TRACE' });
    await expect('/llm/openai/echo', 413, { method: 'POST', body: 'x'.repeat(1001) });
    await expect('/llm/openai/echo', 413, {
      method: 'POST',
      headers: { 'transfer-encoding': 'chunked' },
      body: 'x'.repeat(1500),
    });
    await expect('/llm/openai/echo', 431, { headers: { 'x-big': 'y'.repeat(5000) } });
    assert.equal(up.seen.length, before, 'none reached the upstream');
  });

  test('an unreachable upstream answers 502, one past route.timeoutMs 504, and a client leaving aborts the upstream', async () => {
    const a = await call(gw, '/down/x', { headers: auth });
    assert.equal(a.status, 502);
    assert.match(a.text, /HS_ERR_UPSTREAM_UNREACHABLE/);
    const b = await call(gw, '/slow/hang', { headers: auth });
    assert.equal(b.status, 504);
    assert.match(b.text, /HS_ERR_UPSTREAM_TIMEOUT/);
    const aborted = up.aborted;
    const [host, port] = gw.split(':');
    const req = request({ host, port: Number(port), path: '/llm/openai/hang', headers: auth });
    req.on('error', () => undefined);
    req.end();
    const n = up.seen.length;
    await waitFor(() => up.seen.length > n);
    req.destroy();
    await waitFor(() => up.aborted > aborted, { message: 'the upstream request was not aborted' });
  });

  test('custom endpoints: unary, streamed, and behind auth', async () => {
    const a = await call(gw, '/plugins/tools/hello?x=1');
    assert.equal(a.status, 200);
    assert.deepEqual(a.json(), { hello: 'world', query: 'x=1' });
    const s = await call(gw, '/plugins/tools/stream');
    assert.equal(s.text, 'part0;part1;part2;');
    assert.equal((await call(gw, '/plugins/tools/me')).status, 401);
    assert.deepEqual((await call(gw, '/plugins/tools/me', { headers: auth })).json(), { app: 'alpha' });
    assert.equal((await call(gw, '/plugins/tools/hello', { method: 'POST' })).status, 405);
    assert.equal((await call(gw, '/plugins/nobody/x')).status, 404);
  });

  test('every request yields one ProxyLog at the edge and one at the control plane, refused ones too', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await call(gw, i % 2 ? '/llm/openai/echo' : '/nowhere', { headers: auth });
      ids.push(r.headers['x-request-id'] as string);
    }
    assert.equal(new Set(ids).size, 20);
    await waitFor(() => ids.every((id) => central.logs.some((l) => l.requestId === id)), { timeoutMs: 10_000 });
    for (const id of ids) {
      assert.equal(hooks.logs.filter((l) => l.requestId === id).length, 1);
      assert.equal(central.logs.filter((l) => l.requestId === id).length, 1);
    }
    const all = central.logs.map((l) => l.requestId);
    assert.equal(new Set(all).size, all.length, 'no record twice at the control plane');
  });

  test('the gateway counts on /metrics: requests, refusals, blocks and telemetry', async () => {
    await call(gw, '/nowhere');
    hooks.b = { block: { pre: { block: true } } };
    assert.equal((await call(gw, '/llm/openai/echo', { headers: auth })).status, 403);
    await waitFor(() => edge.gateway!.telemetry.counters.records >= 2);
    const text = await (await fetch(`http://${edge.metrics!.address}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    assert.ok(value('hubspoke_gateway_requests_total') > 0, text);
    assert.ok(value('hubspoke_gateway_refused_total') > 0);
    assert.ok(value('hubspoke_gateway_blocked_total') > 0);
    assert.ok(value('hubspoke_gateway_telemetry_records_total') > 0);
    assert.equal(value('hubspoke_gateway_telemetry_dropped_total'), 0);
  });
});
