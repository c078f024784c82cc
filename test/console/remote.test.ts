import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startControlPlane, type ControlPlane } from '@hubspoke/control-plane';
import { testLog } from '../fixtures/fabric.js';
import { startNatsServer, type NatsServer } from '../helpers/index.js';
import { TOKEN, loginHttp } from './site.js';

const PLUGIN = fileURLToPath(new URL('../fixtures/remote/ui-plugin.ts', import.meta.url));

describe('console: a UIProvider out of process', () => {
  let hub: NatsServer;
  let cp: ControlPlane;
  let url: string;
  before(async () => {
    hub = await startNatsServer({ domain: 'hub' });
    cp = await startControlPlane({
      natsUrl: hub.url,
      log: testLog(),
      plugins: [{ command: [process.execPath, '--import', 'tsx', PLUGIN] }],
      admin: { listen: '127.0.0.1:0', token: TOKEN },
      console: { listen: '127.0.0.1:0' },
    });
    url = `http://${cp.console?.address as string}`;
  });
  after(async () => {
    await cp?.close();
    await hub?.[Symbol.asyncDispose]();
  });

  test('its pages are listed, its assets served with the bridge, its listed RPC answered, others refused', async () => {
    const s = await loginHttp(url);
    const h = { cookie: s.cookie, 'x-hs-csrf': s.csrf, 'content-type': 'application/json' };
    const list = (await (await fetch(`${url}/api/plugins`, { headers: h })).json()) as { plugins: unknown[] };
    assert.deepEqual(list.plugins, [
      { name: 'ui-demo', title: 'UI demo', pages: [{ path: '/', title: 'Home', entry: 'index.html' }] },
    ]);
    const session = (await (await fetch(`${url}/session`, { headers: h })).json()) as { assetKey: string };
    const page = await fetch(`${url}/plugin-assets/${session.assetKey}/ui-demo/index.html`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /sandbox allow-scripts/);
    assert.match(await page.text(), /<head[^>]*><script src="\/bridge\.js"><\/script>/);
    const js = await fetch(`${url}/plugin-assets/${session.assetKey}/ui-demo/page.js`);
    assert.equal(js.status, 200);
    assert.match(await js.text(), /window\.hubspoke\.rpc\('echo'/);
    assert.equal((await fetch(`${url}/plugin-assets/${session.assetKey}/ui-demo/nope.js`)).status, 404);

    const echo = await fetch(`${url}/api/plugins/ui-demo/rpc/echo`, {
      method: 'POST',
      headers: h,
      body: JSON.stringify({ text: 'across a process' }),
    });
    assert.equal(echo.status, 200);
    assert.deepEqual(await echo.json(), {
      result: { echoed: { text: 'across a process' }, by: 'ui-demo', node: 'control' },
    });
    const secret = await fetch(`${url}/api/plugins/ui-demo/rpc/secret`, { method: 'POST', headers: h, body: '{}' });
    assert.equal(secret.status, 403);
  });
});
