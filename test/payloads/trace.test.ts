// W3C trace context carried end to end: an event's traceparent reaches the edge handler, rides the payload that
// handler sends, and is the traceparent of what the control-plane receiver publishes while handling it.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode } from '@hubspoke/edge-node';
import {
  BasePlugin,
  Direction,
  type Context,
  type EdgePayload,
  type EdgePayloadReceiver,
  type SessionAware,
} from '@hubspoke/sdk';
import { testLog } from '../fixtures/fabric.js';
import { Recorder } from '../fixtures/recorder.js';
import { startNatsServer, waitFor } from '../helpers/index.js';

const TRACE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** On the edge: every `order.placed` event is sent on to the control plane as a payload. */
class Forward extends BasePlugin implements SessionAware {
  constructor() {
    super({ name: 'forward', version: '1.0.0' });
  }
  async onSessionReady(ctx: Context): Promise<void> {
    await ctx.services.events.subscribe('order.placed', async (ev) => {
      await ctx.services.edge?.sendToControl({ order: ev.payload }, { correlationId: ev.correlationId ?? '' });
    });
  }
}

/** On the control plane: accepts each payload and announces it as a Local event. */
class Accept extends BasePlugin implements EdgePayloadReceiver {
  constructor() {
    super({ name: 'accept', version: '1.0.0' });
  }
  async acceptEdgePayload(ctx: Context, p: EdgePayload): Promise<boolean> {
    await ctx.services.events.publish('order.stored', { id: p.id }, Direction.Local);
    return true;
  }
}

test('traceparent flows from an event, through the edge handler and its payload, to what the receiver publishes', async () => {
  await using hub = await startNatsServer({ domain: 'hub' });
  const dir = await mkdtemp(join(tmpdir(), 'hubspoke-trace-'));
  const rec = new Recorder('rec-stored', 'order.stored');
  const cp = await startControlPlane({ natsUrl: hub.url, log: testLog(), plugins: [new Accept(), rec] });
  const edge = await startEdgeNode({
    natsUrl: hub.url,
    edgeId: 'trace-1',
    namespace: 'eu',
    log: testLog(),
    stateDir: join(dir, 'e'),
    plugins: [new Forward()],
  });
  try {
    await edge.events.publish('order.placed', { n: 1 }, Direction.Local, { traceparent: TRACE, correlationId: 'c-1' });
    const stored = await waitFor(() => rec.events[0]);
    assert.equal(stored.traceparent, TRACE);
    assert.equal(stored.correlationId, 'c-1');
  } finally {
    await edge.close();
    await cp.close();
    await rm(dir, { recursive: true, force: true });
  }
});
