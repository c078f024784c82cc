import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Direction } from '@hubspoke/sdk';
import type { Page } from 'playwright-core';
import { Receiver } from '../fixtures/receiver.js';
import { sleep, waitFor } from '../helpers/index.js';
import { openBrowser, type TestBrowser } from './browser.js';
import { TOKEN, startConsoleSite, type ConsoleSite } from './site.js';
import { UiDemo } from './ui-plugin.js';

const body = (p: { payload: Uint8Array }) => JSON.parse(Buffer.from(p.payload).toString()) as Record<string, unknown>;

/** The text of a table's rows, one string per row. */
const rowsOf = (page: Page, selector: string) => page.locator(`${selector} tbody tr`).allInnerTexts();

/** Waits until `selector` matches at least `n` elements (0: none), optionally with text matching `text`. */
const until = async (p: Pick<Page, 'locator'>, selector: string, n: number, text?: RegExp, timeout = 10_000) => {
  const l = p.locator(selector, text ? { hasText: text } : {});
  if (n === 0) await l.first().waitFor({ state: 'detached', timeout });
  else await l.nth(n - 1).waitFor({ state: 'attached', timeout });
};

// One site and one browser for the whole walk through the console, in the order an operator would go.
describe('console in a browser (Chromium)', () => {
  let site: ConsoleSite;
  let b: TestBrowser;
  const receiver = new Receiver();
  const ui = new UiDemo();
  let healed = false;
  receiver.decide = (p) => {
    if (body(p)['poison'] === true && !healed) throw new Error('poison: the receiver cannot take it yet');
    if (body(p)['dropMe'] === true) throw new Error('this one is never taken');
    return true;
  };

  before(async () => {
    site = await startConsoleSite([receiver, ui]);
    await site.edge('edge-eu-1', 'eu');
    await site.edge('edge-us-1', 'us');
    b = await openBrowser();
  });
  after(async () => {
    await b?.[Symbol.asyncDispose]();
    await site?.[Symbol.asyncDispose]();
  });

  test('login: the page asks for the admin token, refuses a wrong one, and lands on the edges', async () => {
    const { page } = b;
    await page.goto(`${site.url}/edges`);
    await page.waitForSelector('#login');
    await b.shot('console-login');
    await page.fill('#token', 'wrong-token-wrong-token');
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#login .notice.error');
    assert.match(await page.innerText('#login .notice.error'), /HS_ERR_UNAUTHENTICATED/);
    b.errors.length = 0; // the browser logs the refused login (401) as a console error: expected here
    await page.fill('#token', TOKEN);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#edges');
    assert.equal(new URL(page.url()).pathname, '/edges');
    const cookies = await b.context.cookies();
    const c = cookies.find((x) => x.name === 'hs_console');
    assert.ok(c, 'a session cookie');
    assert.equal(c.httpOnly, true);
    assert.equal(c.sameSite, 'Strict');
  });

  test('edges are listed live', async () => {
    const { page } = b;
    await until(page, '#edges tbody tr[data-edge]', 2);
    const rows = await rowsOf(page, '#edges');
    assert.match(rows[0] ?? '', /edge-eu-1\s+eu\s+online/);
    assert.match(rows[1] ?? '', /edge-us-1\s+us\s+online/);
    await page.waitForSelector('#live.on');
  });

  test('a config change, and each edge acknowledging it', async () => {
    const { page } = b;
    await page.click('nav a[href="/config"]');
    await page.waitForSelector('#config-form');
    await page.fill('#config-key', 'greeting');
    await page.fill('#config-value', '{"text": "hello edges"}');
    await page.click('#config-save');
    await page.waitForSelector('#config-result .notice.ok');
    const revision = Number(/revision (\d+)/.exec(await page.innerText('#config-result'))?.[1]);
    assert.ok(revision > 0);
    assert.deepEqual(await site.cp.config.get('greeting'), { text: 'hello edges' });
    await until(page, '#acks tr.ack-applied', 2);
    const acks = await rowsOf(page, '#acks');
    assert.deepEqual(
      acks.map((r) => r.split('\t').slice(0, 3).join(' ')),
      ['edge-eu-1 eu applied', 'edge-us-1 us applied'],
    );
    await page.waitForSelector('#config-keys tr[data-key="greeting"]');
    await page.fill('#config-value', '{"text": ');
    await page.click('#config-save');
    await page.waitForSelector('#config-result .notice.error');
    assert.match(await page.innerText('#config-result'), /not JSON/);
    await page.fill('#config-value', '{"text": "hello edges"}');
    await page.click('#config-save');
    await until(page, '#acks tr.ack-applied', 2);
  });

  test("a config an edge's plugin rejects: each edge's rejection and its reason visible", async () => {
    const { page } = b;
    await page.fill('#config-key', 'plugin.tunable');
    await page.fill('#config-value', '{"lookupMs": 5}');
    await page.click('#config-save');
    await page.waitForSelector('#config-result .notice.ok');
    await until(page, '#acks tr.ack-rejected', 2);
    const acks = await rowsOf(page, '#acks');
    for (const row of acks) {
      assert.match(row, /rejected/);
      assert.match(row, /HS_ERR_CONFIG_INVALID plugin\.tunable@\d+: .*lookupMs/);
    }
    await b.shot('console-config');
    await page.fill('#config-value', '{"lookupMs": 50}');
    await page.click('#config-save');
    await until(page, '#acks tr.ack-applied', 2);
  });

  test('a dead letter redriven from the console, and then handled', async () => {
    const { page } = b;
    const eu = site.edges.get('edge-eu-1')!.sender;
    const { id } = await eu.send({ poison: true, n: 1 }, { correlationId: 'incident-42' });
    await waitFor(() => site.cp.payloads.counters.deadLettered >= 1, { timeoutMs: 10_000, message: 'dead-lettered' });
    await page.click('nav a[href="/dead-letters"]');
    const row = await page.waitForSelector('#dead-letters tbody tr[data-seq]');
    const text = await row.innerText();
    assert.match(text, new RegExp(id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.match(text, /poison: the receiver cannot take it yet/);
    await b.shot('console-dead-letters');
    healed = true;
    await page.check('#dead-letters tbody tr[data-seq] input[type=checkbox]');
    await page.click('#redrive');
    await page.waitForSelector('.notice.ok');
    assert.match(await page.innerText('.notice.ok'), /Redriven: 1/);
    await waitFor(() => receiver.accepted.some((p) => p.id === id), { timeoutMs: 10_000, message: 'handled' });
    await until(page, '#dead-letters tbody tr[data-seq]', 0);
  });

  test('a dead letter dropped from the console (after a confirmation) is gone for good', async () => {
    const { page } = b;
    const eu = site.edges.get('edge-eu-1')!.sender;
    const before = site.cp.payloads.counters.deadLettered;
    const { id } = await eu.send({ dropMe: true });
    await waitFor(() => site.cp.payloads.counters.deadLettered > before, { timeoutMs: 10_000 });
    await page.click('#dlq-filter button[type=submit]');
    await until(page, '#dead-letters tbody tr[data-seq]', 1, /this one is never taken/);
    await page.check('#dead-letters tbody tr[data-seq] input[type=checkbox]');
    await page.click('#drop');
    assert.equal(await page.innerText('#confirm-drop'), 'Really drop 1?');
    assert.equal(
      await page.locator('#dead-letters tbody tr[data-seq]').count(),
      1,
      'nothing dropped before confirming',
    );
    await page.click('#confirm-drop');
    await until(page, '.notice.ok', 1, /Dropped: 1/);
    await until(page, '#dead-letters tbody tr[data-seq]', 0);
    assert.equal(
      receiver.accepted.some((p) => p.id === id),
      false,
    );
  });

  test('every dead letter matching a filter dropped at once, after a confirmation; the others stay and can be redriven all', async () => {
    const { page } = b;
    const eu = site.edges.get('edge-eu-1')!.sender;
    const before = site.cp.payloads.counters.deadLettered;
    await eu.send({ dropMe: true, n: 1 }, { correlationId: 'bulk-1' });
    await eu.send({ dropMe: true, n: 2 }, { correlationId: 'bulk-1' });
    const { id: kept } = await eu.send({ dropMe: true, n: 3 }, { correlationId: 'bulk-keep' });
    await waitFor(() => site.cp.payloads.counters.deadLettered >= before + 3, { timeoutMs: 15_000 });
    await page.fill('#dlq-filter input[name=correlationId]', 'bulk-1');
    await page.click('#dlq-filter button[type=submit]');
    await until(page, '#dead-letters tbody tr[data-seq]', 2, /this one is never taken/);
    await page.click('#drop-all');
    assert.equal(await page.innerText('#confirm-all'), 'Really drop every dead letter matching the filter?');
    await page.click('#confirm-all');
    await until(page, '.notice.ok', 1, /Dropped: 2/);
    await until(page, '#dead-letters tbody tr[data-seq]', 0);
    // The one of another correlation id is still there.
    await page.fill('#dlq-filter input[name=correlationId]', '');
    await page.click('#dlq-filter button[type=submit]');
    await until(page, '#dead-letters tbody tr[data-seq]', 1, /this one is never taken/);
    assert.match(await page.innerText('#dead-letters tbody'), new RegExp(kept.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    await page.click('#redrive-all');
    assert.equal(await page.innerText('#confirm-all'), 'Really redrive every dead letter, with no filter?');
    await page.click('#confirm-all');
    await until(page, '.notice.ok', 1, /Redriven: 1/);
  });

  test('payloads: search by correlation id and open one', async () => {
    const { page } = b;
    await page.click('nav a[href="/payloads"]');
    await page.waitForSelector('#payload-search');
    await page.fill('#payload-search input[name=correlationId]', 'incident-42');
    await page.click('#payload-search button[type=submit]');
    await until(page, '#payloads tbody tr[data-seq]', 1);
    const rows = await rowsOf(page, '#payloads');
    assert.ok(rows.every((r) => r.includes('incident-42')));
    await page.click('#payloads tbody tr[data-seq]');
    await page.waitForSelector('#payload-details');
    assert.match(await page.innerText('#payload-details'), /"poison": true/);
    await b.shot('console-payloads');
  });

  test('a replay dry run counts what the filter selects, and a real run offers them', async () => {
    const { page } = b;
    const us = site.edges.get('edge-us-1')!.sender;
    for (let n = 0; n < 5; n++) await us.send({ n }, { correlationId: 'batch-us' });
    await waitFor(() => receiver.accepted.filter((p) => p.correlationId === 'batch-us').length === 5);
    const expected = receiver.accepted.filter((p) => p.edgeNamespace === 'us' && !p.replay).length;
    await page.click('nav a[href="/replay"]');
    await page.waitForSelector('#replay-form');
    await page.fill('#replay-form input[name=namespace]', 'us');
    assert.equal(await page.isChecked('#dry-run'), true, 'dry run is the default');
    await page.click('#replay-start');
    await until(page, '#replay-stats', 1, /state done/);
    const stats = await page.innerText('#replay-stats');
    assert.match(stats, new RegExp(`matched ${expected}\\b`));
    assert.match(stats, /offered 0\b/);
    await b.shot('console-replay');
    const before = receiver.accepted.length;
    await page.uncheck('#dry-run');
    await page.fill('#replay-form input[name=correlationId]', 'batch-us');
    await page.click('#replay-start');
    await until(page, '#replay-stats', 1, /state done/);
    assert.match(await page.innerText('#replay-stats'), /handled 5\b/);
    const replayed = receiver.accepted.slice(before);
    assert.equal(replayed.length, 5);
    assert.ok(replayed.every((p) => p.replay && p.correlationId === 'batch-us'));
  });

  test('a replay cancelled from the page stops before the end and says so', async () => {
    const { page } = b;
    const us = site.edges.get('edge-us-1')!.sender;
    for (let n = 0; n < 4; n++) await us.send({ n }, { correlationId: 'slow' });
    await waitFor(() => receiver.accepted.filter((p) => p.correlationId === 'slow').length === 4);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const decide = receiver.decide;
    receiver.decide = async (p) => {
      if (p.replay && p.correlationId === 'slow') await gate;
      return decide(p);
    };
    try {
      await page.fill('#replay-form input[name=correlationId]', 'slow');
      await page.fill('#replay-form input[name=namespace]', '');
      assert.equal(await page.isChecked('#dry-run'), false);
      await page.click('#replay-start');
      await waitFor(() => receiver.offers.some((p) => p.replay && p.correlationId === 'slow'), {
        message: 'the first copy is offered',
      });
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/cancel')),
        page.click('#replay-cancel'),
      ]);
      assert.deepEqual(await answer.json(), { cancelled: true });
      release();
      await until(page, '#replay-stats', 1, /state stopped/);
      assert.match(await page.innerText('main'), /HS_ERR_CLOSED: the replay was cancelled after \d+ of \d+ payloads/);
      const offered = receiver.offers.filter((p) => p.replay && p.correlationId === 'slow').length;
      assert.ok(offered < 4, `cancelled before the end (${offered} of 4 offered)`);
    } finally {
      release();
      receiver.decide = decide;
    }
  });

  test('flow: charts of the last minutes, and the current rates', async () => {
    const { page } = b;
    await page.click('nav a[href="/flow"]');
    await page.waitForSelector('#chart-events');
    await page.selectOption('#flow-span', '60000');
    // Traffic both ways until the page shows it: events Up from an edge (the control plane subscribes: it takes
    // only what it has subscribers for), Down from the control plane, and payloads.
    await site.cp.events.subscribe('load.up', () => undefined);
    const eu = site.edges.get('edge-eu-1')!.sender;
    let running = true;
    const traffic = (async () => {
      for (let n = 0; running; n++) {
        await eu.ctx!.services.events.publish('load.up', { n }, Direction.Up);
        await site.cp.events.publish('load.down', { n }, Direction.Down);
        if (n % 10 === 0) await eu.send({ n }, { correlationId: 'flow' });
        await sleep(5);
      }
    })();
    try {
      await until(page, '#flow-now [data-stat="Up"]', 1, /Up [1-9]/);
      await until(page, '#flow-now [data-stat="Down"]', 1, /Down [1-9]/);
      await until(page, '#flow-now [data-stat="payloads handled"]', 1, /handled [1-9]/);
    } finally {
      running = false;
      await traffic;
    }
    assert.ok((await page.$eval('#chart-payloads', (c) => (c as unknown as { width: number }).width)) > 0);
    await b.shot('console-flow');
  });

  test('a plugin page in a sandboxed frame: its RPC round trip, and an unlisted method refused', async () => {
    const { page } = b;
    await page.click('nav a[href="/plugins/ui-demo/"]');
    const frameEl = await page.waitForSelector('#plugin-frame');
    assert.equal(await frameEl.getAttribute('sandbox'), 'allow-scripts allow-forms');
    const frame = await frameEl.contentFrame();
    assert.ok(frame);
    await frame.waitForSelector('#echo');
    await frame.click('#echo');
    await until(frame, '#out', 1, /^echo:/);
    assert.equal(
      await frame.innerText('#out'),
      'echo: {"echoed":{"text":"hello from the page"},"by":"ui-demo","node":"control"}',
    );
    assert.deepEqual(
      ui.calls.map((c) => c.method),
      ['echo'],
    );
    // The frame's origin is opaque: it can neither read the console's page nor call the API itself.
    const reach = await frame.evaluate(async () => {
      const w = globalThis as unknown as { parent: { document: { title: string } } };
      let parentDom = 'readable';
      try {
        void w.parent.document.title;
      } catch {
        parentDom = 'blocked';
      }
      let api = 'reachable';
      try {
        await fetch('/api/edges');
      } catch {
        api = 'blocked';
      }
      return { parentDom, api };
    });
    assert.deepEqual(reach, { parentDom: 'blocked', api: 'blocked' });
    b.errors.length = 0; // the refused fetch above is logged as a CSP violation: that was the point
    await frame.click('#secret');
    await until(frame, '#out', 1, /^secret/);
    assert.equal(await frame.innerText('#out'), 'secret refused: 403 HS_ERR_FORBIDDEN');
    assert.deepEqual(
      ui.calls.map((c) => c.method),
      ['echo'],
      'handleRPC never saw the unlisted method',
    );
    await b.shot('console-plugin');
    b.errors.splice(0, b.errors.length, ...b.errors.filter((e) => !/403 \(Forbidden\)/.test(e)));
  });

  test('an edge going offline shows up without a reload', async () => {
    const { page } = b;
    await page.click('nav a[href="/edges"]');
    await page.waitForSelector('#edges tbody tr[data-edge="edge-us-1"]');
    const us = site.edges.get('edge-us-1')!;
    await us.node.close();
    site.edges.delete('edge-us-1');
    await until(page, '#edges tr[data-edge="edge-us-1"] td:nth-child(3)', 1, /^offline$/);
    assert.match(await page.innerText('#edge-summary'), /2 edges: 1 online, 0 stale, 1 offline/);
    await b.shot('console-edges');
    await page.click('#edges tr[data-edge="edge-us-1"] button.forget');
    await until(page, '#edges tr[data-edge="edge-us-1"]', 0);
    assert.deepEqual(
      (await site.cp.edges.list()).map((e) => e.edgeId),
      ['edge-eu-1'],
    );
  });

  test('no JavaScript error on any page', () => {
    assert.deepEqual(b.errors, []);
  });
});
