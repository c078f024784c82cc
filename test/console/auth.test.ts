import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Receiver } from '../fixtures/receiver.js';
import { TOKEN, loginHttp, startConsoleSite, type ConsoleSite } from './site.js';
import { UiDemo } from './ui-plugin.js';

describe('console: access', () => {
  let site: ConsoleSite;
  const ui = new UiDemo();
  before(async () => {
    site = await startConsoleSite([new Receiver(), ui]);
  });
  after(async () => {
    await site[Symbol.asyncDispose]();
  });

  test('listens on loopback and serves the page with caching headers', async () => {
    assert.match(site.cp.console?.address ?? '', /^127\.0\.0\.1:\d+$/);
    const page = await fetch(`${site.url}/edges`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    const etag = page.headers.get('etag') ?? '';
    assert.ok(etag, 'the page has an ETag');
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const again = await fetch(`${site.url}/edges`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    const html = await page.text();
    const script = /src="(\/assets\/app\.[0-9a-f]{12}\.js)"/.exec(html)?.[1];
    assert.ok(script, 'scripts have content-hashed names');
    const js = await fetch(`${site.url}${script}`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('cache-control') ?? '', /immutable/);
  });

  test('every /api/ route refuses a request without a session (401, HS_ERR_UNAUTHENTICATED)', async () => {
    const routes: [string, string][] = [
      ['GET', '/api/edges'],
      ['GET', '/api/live'],
      ['GET', '/api/payloads'],
      ['GET', '/api/dead-letters'],
      ['POST', '/api/dead-letters/redrive'],
      ['POST', '/api/replay'],
      ['GET', '/api/config'],
      ['PUT', '/api/config'],
      ['GET', '/api/plugins'],
      ['POST', '/api/plugins/ui-demo/rpc/echo'],
      ['GET', '/api/session'],
      ['GET', '/api/no-such-route'],
    ];
    for (const [method, path] of routes) {
      const res = await fetch(`${site.url}${path}`, { method, headers: { cookie: 'hs_console=forged' } });
      assert.equal(res.status, 401, `${method} ${path}`);
      const body = (await res.json()) as { error: { code: string } };
      assert.equal(body.error.code, 'HS_ERR_UNAUTHENTICATED', `${method} ${path}`);
    }
    const asset = await fetch(`${site.url}/plugin-assets/guess/ui-demo/index.html`);
    assert.equal(asset.status, 401, 'plugin assets need a session too');
    assert.equal(ui.calls.length, 0);
  });

  test('a wrong token gets 401; the right one a session cookie that is HttpOnly and SameSite=Strict', async () => {
    const bad = await loginHttp(site.url, 'not-the-token-at-all');
    assert.equal(bad.status, 401);
    assert.equal(bad.cookie, '');
    const res = await fetch(`${site.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: TOKEN }),
    });
    assert.equal(res.status, 200);
    const cookie = res.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^hs_console=[\w-]{20,};/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
  });

  test('a change needs the CSRF header and, when the browser sends one, the console own Origin (403)', async () => {
    const s = await loginHttp(site.url);
    const put = (headers: Record<string, string>) =>
      fetch(`${site.url}/api/config`, {
        method: 'PUT',
        headers: { cookie: s.cookie, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ key: 'csrf.check', value: 1 }),
      });
    const noCsrf = await put({});
    assert.equal(noCsrf.status, 403);
    assert.equal(((await noCsrf.json()) as { error: { code: string } }).error.code, 'HS_ERR_FORBIDDEN');
    assert.equal((await put({ 'x-hs-csrf': 'wrong' })).status, 403);
    const crossSite = await put({ 'x-hs-csrf': s.csrf, origin: 'http://evil.example' });
    assert.equal(crossSite.status, 403);
    assert.equal(await site.cp.config.get('csrf.check'), undefined, 'nothing was stored by a refused change');
    const ok = await put({ 'x-hs-csrf': s.csrf, origin: site.url });
    assert.equal(ok.status, 200);
    assert.equal(await site.cp.config.get('csrf.check'), 1);
  });

  test('a plugin RPC method its manifest does not list gets 403 and never reaches handleRPC', async () => {
    const s = await loginHttp(site.url);
    const call = (method: string) =>
      fetch(`${site.url}/api/plugins/ui-demo/rpc/${method}`, {
        method: 'POST',
        headers: { cookie: s.cookie, 'x-hs-csrf': s.csrf, 'content-type': 'application/json' },
        body: JSON.stringify({ n: 1 }),
      });
    const refused = await call('secret');
    assert.equal(refused.status, 403);
    assert.match(((await refused.json()) as { error: { message: string } }).error.message, /does not list/);
    assert.deepEqual(
      ui.calls.map((c) => c.method),
      [],
    );
    const ok = await call('echo');
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { result: { echoed: { n: 1 }, by: 'ui-demo', node: 'control' } });
  });

  test('logout ends the session', async () => {
    const s = await loginHttp(site.url);
    const h = { cookie: s.cookie, 'x-hs-csrf': s.csrf };
    assert.equal((await fetch(`${site.url}/api/edges`, { headers: h })).status, 200);
    assert.equal((await fetch(`${site.url}/api/logout`, { method: 'POST', headers: h })).status, 200);
    assert.equal((await fetch(`${site.url}/api/edges`, { headers: h })).status, 401);
  });
});

describe('console: options', () => {
  test('a console without an admin token is refused at start, naming the field', async () => {
    const { startControlPlane } = await import('@hubspoke/control-plane');
    await assert.rejects(
      startControlPlane({ natsUrl: 'nats://127.0.0.1:1', console: { listen: '127.0.0.1:0' } }),
      (err: Error & { code?: string }) => err.code === 'HS_ERR_CONFIG_INVALID' && /admin\.token/.test(err.message),
    );
  });
});
