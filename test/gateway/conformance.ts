// The gateway hooks conformance suite: one set of cases, run against the conformance plugin in process and in a
// process of its own (one gRPC stream per plugin). A runtime implementation passes all of them or is wrong.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startControlPlane, type ControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode, type EdgeNode } from '@hubspoke/edge-node';
import type { PluginSpec } from '@hubspoke/runtime';
import { testLog } from '../fixtures/fabric.js';
import { startNatsServer, waitFor, type NatsServer } from '../helpers/index.js';
import { call } from './client.js';
import { startUpstream, type Upstream } from './upstream.js';

type Seen = { step: string; detail?: unknown }[];

export function gatewayConformance(label: string, spec: () => PluginSpec): void {
  describe(`gateway hooks conformance: ${label}`, () => {
    let hub: NatsServer;
    let dir: string;
    let up: Upstream;
    let cp: ControlPlane;
    let edge: EdgeNode;
    let gw: string;
    const auth = { authorization: 'Bearer conf-app-1' };
    const conf = (c: object) => ({ ...auth, 'x-conf': JSON.stringify(c) });
    const seen = async (id: string): Promise<Seen> => (await call(gw, `/plugins/conf/calls?id=${id}`)).json<Seen>();
    const steps = async (id: string) => (await seen(id)).map((s) => s.step);

    before(async () => {
      hub = await startNatsServer({ domain: 'hub' });
      dir = await mkdtemp(join(tmpdir(), 'hubspoke-gwc-'));
      up = await startUpstream();
      cp = await startControlPlane({ natsUrl: hub.url, log: testLog() });
      await cp.config.put('route.llm', { path: '/llm/', upstream: `${up.url}/v1` });
      await cp.config.put('route.keyed', { path: '/keyed/', upstream: up.url, plugins: [] });
      await cp.config.put('app.k', { name: 'K', credentials: [createHash('sha256').update('sk-k').digest('hex')] });
      edge = await startEdgeNode({
        natsUrl: hub.url,
        edgeId: `conf-${label.replace(/\W+/g, '-')}`,
        namespace: 'eu',
        log: testLog(),
        stateDir: join(dir, 'edge'),
        plugins: [spec()],
        gateway: { hookTimeoutMs: 300, breaker: { failures: 50, openMs: 100 } },
      });
      gw = edge.gateway!.address;
      await waitFor(() => edge.gateway!.table.routes.length === 2 && edge.gateway!.table.keys.size === 1);
    });
    after(async () => {
      await edge?.close();
      await cp?.close();
      await up?.[Symbol.asyncDispose]();
      await hub?.[Symbol.asyncDispose]();
      await rm(dir, { recursive: true, force: true });
    });

    test('every hook in order, the plugin AuthHandler deciding, then collectors with the same request id', async () => {
      const r = await call(gw, '/llm/chat/completions', { method: 'POST', headers: conf({}), body: '{"q":1}' });
      assert.equal(r.status, 200, r.text);
      const id = r.headers['x-request-id'] as string;
      await waitFor(async () => (await steps(id)).includes('analytics'));
      const s = await seen(id);
      assert.deepEqual(s.map((x) => x.step).slice(0, 6), ['pre', 'auth', 'post', 'headers', 'write', 'complete']);
      assert.deepEqual(s.find((x) => x.step === 'pre')?.detail, { route: 'llm', body: '{"q":1}' });
      assert.deepEqual(s.find((x) => x.step === 'post')?.detail, { app: 'app-1', user: 'u-1' });
      assert.deepEqual(s.find((x) => x.step === 'log')?.detail, { status: 200, app: 'app-1', isDate: true });
      assert.equal(s.find((x) => x.step === 'analytics')?.detail, 42);
    });

    test('blocks: preAuth 403 with its body, postAuth its status and headers; an unknown key 401', async () => {
      const a = await call(gw, '/llm/echo', { headers: conf({ block: { pre: { block: true, body: 'no' } } }) });
      assert.deepEqual([a.status, a.text], [403, 'no']);
      const b = await call(gw, '/llm/echo', {
        headers: conf({ block: { post: { block: true, statusCode: 429, headers: { 'retry-after': '2' } } } }),
      });
      assert.deepEqual([b.status, b.headers['retry-after']], [429, '2']);
      assert.equal((await call(gw, '/llm/echo', { headers: { authorization: 'Bearer nope' } })).status, 401);
    });

    test('changes: request headers, path and body; response status, headers and chunks', async () => {
      const r = await call(gw, '/llm/echo/a', {
        method: 'POST',
        body: 'old',
        headers: conf({
          change: { pre: { headers: { 'x-added': 'yes' } }, post: { path: '/echo/b', body: 'new' } },
          headers: { statusCode: 202, headers: { 'x-hook': '1' } },
          shout: true,
        }),
      });
      assert.equal(r.status, 202);
      assert.equal(r.headers['x-hook'], '1');
      const got = JSON.parse(r.text.toLowerCase()) as { url: string; body: string; headers: Record<string, string[]> };
      assert.deepEqual([got.url, got.body, got.headers['x-added']], ['/v1/echo/b', 'new', ['yes']]);
      assert.equal(r.text, r.text.toUpperCase());
    });

    test('failures: request hooks fail closed (503), response hooks fail open, a hung hook is cut at its deadline', async () => {
      for (const step of ['pre', 'auth', 'post']) {
        // A key not seen before: auth answers are cached per credential.
        const headers = { ...conf({ throw: step }), authorization: `Bearer conf-fresh-${step}` };
        const r = await call(gw, '/llm/echo', { headers });
        assert.equal(r.status, 503, step);
        assert.match(r.text, /HS_ERR_PLUGIN/);
      }
      for (const step of ['headers', 'write'])
        assert.equal((await call(gw, '/llm/echo', { headers: conf({ throw: step }) })).status, 200, step);
      const h = await call(gw, '/llm/echo', { headers: conf({ hang: 'post' }) });
      assert.equal(h.status, 503);
      assert.match(h.text, /within 300 ms/);
    });

    test('SSE: onBeforeWrite once per event, as a stream chunk; the first event before the upstream ends', async () => {
      const [host, port] = gw.split(':');
      let id = '';
      let first!: () => void;
      const gotFirst = new Promise<void>((r) => (first = r));
      const done = new Promise<string>((resolve, reject) => {
        const req = request({ host, port: Number(port), path: '/llm/sse', headers: conf({}) }, (res) => {
          id = res.headers['x-request-id'] as string;
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString();
            first();
          });
          res.on('end', () => resolve(text));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      });
      up.release();
      await gotFirst;
      for (let i = 0; i < 3; i++) up.release();
      assert.match(await done, /\[DONE\]/);
      await waitFor(async () => (await steps(id)).includes('complete'));
      const writes = (await seen(id)).filter((x) => x.step === 'write');
      assert.equal(writes.length, 5);
      assert.ok(writes.every((w) => (w.detail as { stream: boolean }).stream));
    });

    test('custom endpoints, unary and streamed, behind auth when they ask; built-in key auth where no AuthHandler is listed', async () => {
      assert.equal((await call(gw, '/plugins/conf/whoami')).status, 401);
      assert.deepEqual((await call(gw, '/plugins/conf/whoami', { headers: auth })).json(), { app: 'app-1' });
      const streamed = await call(gw, '/plugins/conf/stream');
      assert.deepEqual(
        [streamed.status, streamed.text, streamed.headers['content-type']],
        [200, 'part0;part1;part2;', 'text/plain'],
      );
      assert.equal((await call(gw, '/keyed/echo', { headers: { authorization: 'Bearer sk-k' } })).status, 200);
      assert.equal((await call(gw, '/keyed/echo', { headers: auth })).status, 401);
    });
  });
}
