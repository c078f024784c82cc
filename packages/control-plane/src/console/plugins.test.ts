import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PluginHost } from '@hubspoke/runtime';
import pino from 'pino';
import { PluginUIs } from './plugins.js';

const asset = (text: string, contentType: string) => ({ body: Buffer.from(text), contentType });

function ui(name: string, manifest: () => unknown) {
  return {
    name,
    ctx: { plugin: { name } },
    plugin: {
      info: { name, version: '1.0.0' },
      initialize: async () => undefined,
      getUIManifest: manifest,
      getAsset: async (path: string) =>
        path === 'index.html'
          ? asset('<!doctype html><html><head lang="en"><title>x</title></head><body></body></html>', 'text/html')
          : path === 'app.js'
            ? asset('console.log(1)', 'text/javascript')
            : undefined,
      handleRPC: async (_ctx: unknown, method: string, payload: unknown) => ({ method, payload }),
    },
  };
}

const hostOf = (plugins: unknown[]) => ({ list: () => plugins }) as unknown as PluginHost;
const good = () => ({ title: 'Good', pages: [{ path: '/', title: 'Home', entry: 'index.html' }], rpc: ['ok'] });

describe('PluginUIs', () => {
  test('a plugin whose manifest throws or is invalid is left out; the others are listed', async () => {
    const uis = new PluginUIs(
      hostOf([
        ui('good', good),
        ui('throws', () => {
          throw new Error('no manifest today');
        }),
        ui('bad-path', () => ({ title: 'Bad', pages: [{ path: 'nope', title: 'x', entry: 'index.html' }] })),
        { name: 'not-ui', ctx: {}, plugin: { info: { name: 'not-ui' }, initialize: async () => undefined } },
      ]),
      1000,
      pino({ level: 'silent' }),
    );
    assert.deepEqual(await uis.list(), [
      { name: 'good', title: 'Good', pages: [{ path: '/', title: 'Home', entry: 'index.html' }] },
    ]);
  });

  test('HTML gets the bridge script first in its head; other files pass unchanged; unknown ones are undefined', async () => {
    const uis = new PluginUIs(hostOf([ui('good', good)]), 1000, pino({ level: 'silent' }));
    const html = Buffer.from((await uis.asset('good', 'index.html'))!.body).toString();
    assert.match(html, /^<!doctype html><html><head lang="en"><script src="\/bridge\.js"><\/script><title>/);
    assert.equal(Buffer.from((await uis.asset('good', 'app.js'))!.body).toString(), 'console.log(1)');
    assert.equal(await uis.asset('good', 'missing.js'), undefined);
    await assert.rejects(uis.asset('nobody', 'index.html'), { code: 'HS_ERR_INVALID_NAME' });
  });

  test('only listed RPC methods reach handleRPC', async () => {
    const uis = new PluginUIs(hostOf([ui('good', good)]), 1000, pino({ level: 'silent' }));
    assert.deepEqual(await uis.rpc('good', 'ok', { a: 1 }), { method: 'ok', payload: { a: 1 } });
    await assert.rejects(uis.rpc('good', 'other', {}), { code: 'HS_ERR_FORBIDDEN' });
  });
});
