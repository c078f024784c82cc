import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { waitFor } from '../helpers/index.js';
import { openBrowser, type TestBrowser } from './browser.js';
import { TOKEN, startConsoleSite, type ConsoleSite } from './site.js';

const EDGES = 1000;
const edgeId = (i: number) => `sim-${String(i).padStart(4, '0')}`;
const nsOf = (i: number) => `ns${i % 10}`;

/** Heartbeats of simulated edges, all from one connection, straight on hs.hb.<ns>.<edge>. */
function beat(nc: NatsConnection, i: number, outboxDepth = 0): void {
  const body = {
    version: '0.1.0-sim',
    namespace: nsOf(i),
    edgeId: edgeId(i),
    health: 'ok',
    appliedRevision: 0,
    outboxDepth,
    reconnects: 0,
    heartbeatMs: 60_000,
    time: Date.now(),
  };
  nc.publish(`hs.hb.${nsOf(i)}.${edgeId(i)}`, JSON.stringify(body));
}

// Records how long the console takes with 1,000 edges registered: the figures are printed (test diagnostics),
// not asserted, as timings on a shared 2-core machine would make a flaky test.
describe('console with 1,000 edges', () => {
  let site: ConsoleSite;
  let b: TestBrowser;
  let nc: NatsConnection;
  before(async () => {
    site = await startConsoleSite([]);
    nc = await connect({ servers: site.hub.url });
    for (let i = 0; i < EDGES; i++) beat(nc, i);
    await nc.flush();
    await waitFor(async () => (await site.cp.edges.list()).length === EDGES, {
      timeoutMs: 30_000,
      message: 'every simulated edge registered',
    });
    b = await openBrowser();
  });
  after(async () => {
    await b?.[Symbol.asyncDispose]();
    await nc?.close();
    await site?.[Symbol.asyncDispose]();
  });

  test('first paint of the edges view and a live update, both recorded', async (t) => {
    const { page } = b;
    await page.goto(`${site.url}/edges`);
    await page.fill('#token', TOKEN);
    await page.click('#login button[type=submit]');
    await page
      .locator('#edges tbody tr[data-edge]')
      .nth(EDGES - 1)
      .waitFor({ state: 'attached', timeout: 30_000 });

    const t0 = Date.now();
    await page.reload();
    await page
      .locator('#edges tbody tr[data-edge]')
      .nth(EDGES - 1)
      .waitFor({ state: 'attached', timeout: 30_000 });
    const firstPaintMs = Date.now() - t0;
    assert.equal(await page.locator('#edges tbody tr[data-edge]').count(), EDGES);
    assert.match(await page.innerText('#edge-summary'), /1000 edges: 1000 online/);

    const target = edgeId(500);
    const cell = page.locator(`#edges tr[data-edge="${target}"] td:nth-child(7)`);
    assert.equal(await cell.innerText(), '0');
    const t1 = Date.now();
    beat(nc, 500, 42);
    await nc.flush();
    await page.locator(`#edges tr[data-edge="${target}"] td:nth-child(7)`, { hasText: /^42$/ }).waitFor({
      timeout: 30_000,
    });
    const updateMs = Date.now() - t1;
    const filterT = Date.now();
    await page.fill('#edge-filter', 'sim-09');
    await page.locator('#edges tbody tr[data-edge]:not([hidden])').nth(99).waitFor({ timeout: 30_000 });
    const filterMs = Date.now() - filterT;
    assert.equal(await page.locator('#edges tbody tr[data-edge]:not([hidden])').count(), 100);
    await b.shot('console-edges-1000');
    t.diagnostic(
      `1,000 edges: first paint ${firstPaintMs} ms (reload to 1,000 rows), ` +
        `heartbeat to row updated ${updateMs} ms (registry read every 250 ms), filter ${filterMs} ms`,
    );
    assert.deepEqual(b.errors, []);
  });
});
