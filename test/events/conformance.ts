import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Direction, type Event, type EventsService } from '@hubspoke/sdk';
import { waitFor } from '../helpers/index.js';

/** One plugin's Events service on each node of a fabric (control plane, edge-eu-1 in eu, edge-us-1 in us). */
export interface EventsNodes {
  control: EventsService;
  eu: EventsService;
  us: EventsService;
  /** The plugin's name (events carry `plugin:<name>@<node>`). */
  plugin: string;
  close(): Promise<void>;
}

interface Seen {
  events: Event[];
  id: string;
  has(topic: string): boolean;
  find(id: string): Event | undefined;
}

async function collect(svc: EventsService, pattern: string): Promise<Seen> {
  const events: Event[] = [];
  const id = await svc.subscribe(pattern, (e) => void events.push(e));
  return { events, id, has: (t) => events.some((e) => e.topic === t), find: (i) => events.find((e) => e.id === i) };
}

const code = (c: string) => (e: { code?: string }) => e.code === c;
let n = 0;

/**
 * The Events conformance suite: whatever implements `ctx.services.events` for a plugin (in process, or a plugin
 * process calling its host) must pass it unchanged. Absence is shown with a marker sent after the event on the
 * same path (one publisher's order holds to one subscriber).
 */
export function eventsConformance(name: string, open: () => Promise<EventsNodes>): void {
  let f: EventsNodes;
  before(async () => {
    f = await open();
  });
  after(async () => {
    await f?.close();
  });

  /** A fresh topic root per test, and collectors on every node. */
  async function setup() {
    const root = `t${++n}`;
    const [control, eu, us] = await Promise.all([
      collect(f.control, `${root}.>`),
      collect(f.eu, `${root}.>`),
      collect(f.us, `${root}.>`),
    ]);
    const downMarker = async () => {
      const id = await f.control.publish(`${root}.marker`, {}, Direction.Down);
      await waitFor(() => eu.find(id) && us.find(id), { message: `marker ${root}` });
    };
    const upMarkers = async () => {
      const a = await f.eu.publish(`${root}.marker`, {}, Direction.Up);
      const b = await f.us.publish(`${root}.marker`, {}, Direction.Up);
      await waitFor(() => control.find(a) && control.find(b), { message: `up markers ${root}` });
    };
    return { root, control, eu, us, downMarker, upMarkers };
  }

  test(`${name}: Up from an edge reaches the control plane as Local, the sender sees it as Up, the other edge not`, async () => {
    const s = await setup();
    const id = await f.eu.publish(`${s.root}.up`, { key: 'user:42' }, Direction.Up);
    const ev = await waitFor(() => s.control.find(id));
    assert.equal(ev.dir, Direction.Local);
    assert.equal(ev.edgeId, 'edge-eu-1');
    assert.equal(ev.namespace, 'eu');
    assert.equal(ev.origin, `plugin:${f.plugin}@edge-eu-1`);
    assert.deepEqual(ev.payload, { key: 'user:42' });
    assert.equal((await waitFor(() => s.eu.find(id))).dir, Direction.Up);
    await s.downMarker();
    assert.equal(s.us.find(id), undefined);
  });

  test(`${name}: Down reaches all edges, one namespace, or one edge; the control plane sees it locally`, async () => {
    const s = await setup();
    const all = await f.control.publish(`${s.root}.all`, 1, Direction.Down);
    const ns = await f.control.publish(`${s.root}.ns`, 2, Direction.Down, { namespace: 'eu' });
    const edge = await f.control.publish(`${s.root}.edge`, 3, Direction.Down, { edgeId: 'edge-us-1' });
    await waitFor(() => s.eu.find(all) && s.us.find(all) && s.eu.find(ns) && s.us.find(edge));
    assert.equal(s.eu.find(all)?.dir, Direction.Local);
    assert.equal(s.eu.find(ns)?.namespace, 'eu');
    assert.equal(s.us.find(edge)?.edgeId, 'edge-us-1');
    assert.equal((await waitFor(() => s.control.find(all))).dir, Direction.Down);
    await s.downMarker();
    assert.equal(s.us.find(ns), undefined, 'a Down event for eu does not reach us');
    assert.equal(s.eu.find(edge), undefined, 'a Down event for edge-us-1 does not reach eu');
  });

  test(`${name}: Local never leaves its node; Up on the control plane and Down on an edge stay local`, async () => {
    const s = await setup();
    const ids = [
      await f.eu.publish(`${s.root}.l`, 1, Direction.Local),
      await f.eu.publish(`${s.root}.l`, 2, Direction.Down),
      await f.control.publish(`${s.root}.l`, 3, Direction.Local),
      await f.control.publish(`${s.root}.l`, 4, Direction.Up),
    ];
    await waitFor(() => s.eu.find(ids[0] as string) && s.eu.find(ids[1] as string));
    await waitFor(() => s.control.find(ids[2] as string) && s.control.find(ids[3] as string));
    await s.downMarker();
    await s.upMarkers();
    assert.ok(!s.us.has(`${s.root}.l`));
    assert.ok(!s.control.find(ids[0] as string) && !s.control.find(ids[1] as string));
    assert.ok(!s.eu.find(ids[2] as string) && !s.eu.find(ids[3] as string));
  });

  test(`${name}: wildcards, subscribeAll and unsubscribe`, async () => {
    const s = await setup();
    const star: string[] = [];
    const tail: string[] = [];
    const all: string[] = [];
    const s1 = await f.control.subscribe(`${s.root}.o.*.created`, (e) => void star.push(e.topic));
    const s2 = await f.control.subscribe(`${s.root}.o.>`, (e) => void tail.push(e.topic));
    const s3 = await f.control.subscribeAll((e) => void (e.topic.startsWith(`${s.root}.`) && all.push(e.topic)));
    const topics = ['o.eu.created', 'o.eu.deleted', 'o.eu.x.created', 'o', 'other'].map((t) => `${s.root}.${t}`);
    for (const t of topics) await f.eu.publish(t, {}, Direction.Up);
    await waitFor(() => all.includes(`${s.root}.other`));
    assert.deepEqual(star, [`${s.root}.o.eu.created`]);
    assert.deepEqual(tail, topics.slice(0, 3));
    assert.deepEqual(all, topics);
    await f.control.unsubscribe(s1);
    await f.control.unsubscribe(s2);
    await f.control.unsubscribe(s3);
    await f.control.unsubscribe('sub-does-not-exist');
    await f.eu.publish(`${s.root}.o.eu.created`, {}, Direction.Up);
    await s.upMarkers();
    assert.equal(star.length + tail.length + all.length, 1 + 3 + 5, 'nothing after unsubscribe');
  });

  test(`${name}: payloads, bytes, ids, correlation, causation and metadata arrive as sent`, async () => {
    const s = await setup();
    const bytes = new Uint8Array([0, 1, 2, 255]);
    const raw = await f.eu.publishRaw(`${s.root}.raw`, bytes, Direction.Up, {
      correlationId: 'corr-1',
      causationId: 'cause-1',
      metadata: { a: '1', b: 'two' },
    });
    const json = await f.eu.publish(`${s.root}.json`, { nested: [1, 'x', null] }, Direction.Up);
    const none = await f.eu.publish(`${s.root}.none`, undefined, Direction.Up);
    const r = await waitFor(() => s.control.find(raw));
    assert.deepEqual([...r.raw], [0, 1, 2, 255]);
    assert.equal(r.contentType, 'application/octet-stream');
    assert.deepEqual([...(r.payload as Uint8Array)], [0, 1, 2, 255]);
    assert.equal(r.correlationId, 'corr-1');
    assert.equal(r.causationId, 'cause-1');
    assert.deepEqual({ ...r.metadata }, { a: '1', b: 'two' });
    assert.ok(Math.abs(r.timestamp.getTime() - Date.now()) < 60_000);
    const j = await waitFor(() => s.control.find(json));
    assert.equal(j.contentType, 'application/json');
    assert.deepEqual(j.payload, { nested: [1, 'x', null] });
    assert.equal(j.correlationId, undefined);
    assert.deepEqual({ ...j.metadata }, {});
    assert.equal((await waitFor(() => s.control.find(none))).raw.length, 0);
  });

  test(`${name}: an event published inside a handler carries the handled event's correlation and id as causation`, async () => {
    const s = await setup();
    await f.eu.subscribe(`${s.root}.in`, async (ev) => {
      await f.eu.publish(`${s.root}.out`, { from: ev.id }, Direction.Up);
    });
    const id = await f.control.publish(`${s.root}.in`, {}, Direction.Down, { correlationId: 'flow-7' });
    const out = await waitFor(() => s.control.events.find((e) => e.topic === `${s.root}.out`));
    assert.equal(out.causationId, id);
    assert.equal(out.correlationId, 'flow-7');
  });

  test(`${name}: a subscription gets one publisher's events in the order they were published`, async () => {
    const root = `t${++n}`;
    const c = await collect(f.control, `${root}.>`);
    const sent = Array.from({ length: 600 }, (_, i) => i);
    for (const i of sent) await f.control.publish(`${root}.seq`, { i }, Direction.Local);
    await waitFor(() => c.events.length >= sent.length, { message: `${c.events.length} of ${sent.length}` });
    assert.deepEqual(
      c.events.map((e) => (e.payload as { i: number }).i),
      sent,
    );
  });

  test(`${name}: a handler that throws keeps its subscription`, async () => {
    const s = await setup();
    const got: number[] = [];
    await f.control.subscribe(`${s.root}.flaky`, (ev) => {
      got.push(ev.payload as number);
      if (ev.payload === 1) throw new Error('boom');
    });
    await f.eu.publish(`${s.root}.flaky`, 1, Direction.Up);
    await f.eu.publish(`${s.root}.flaky`, 2, Direction.Up);
    await waitFor(() => got.includes(2));
    assert.deepEqual(got, [1, 2]);
  });

  test(`${name}: bad input is refused with its code`, async () => {
    const svc = f.eu;
    for (const t of ['', 'a..b', 'a.*', 'a.>', 'ä']) {
      await assert.rejects(svc.publish(t, {}, Direction.Up), code('HS_ERR_INVALID_TOPIC'), JSON.stringify(t));
    }
    await assert.rejects(
      svc.subscribe('a..b', () => undefined),
      code('HS_ERR_INVALID_TOPIC'),
    );
    await assert.rejects(
      svc.subscribe('a.>.b', () => undefined),
      code('HS_ERR_INVALID_TOPIC'),
    );
    await assert.rejects(svc.subscribe('a', 'nope' as never), code('HS_ERR_INVALID_ARGUMENT'));
    await assert.rejects(svc.publishRaw('a', 'text' as never, Direction.Up), code('HS_ERR_INVALID_ARGUMENT'));
    await assert.rejects(svc.publish('a', {}, 7 as Direction), code('HS_ERR_INVALID_ARGUMENT'));
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    await assert.rejects(svc.publish('a', cyclic, Direction.Up), code('HS_ERR_INVALID_ARGUMENT'));
    await assert.rejects(
      svc.publishRaw('a', new Uint8Array(2 * 1024 * 1024), Direction.Up),
      code('HS_ERR_PAYLOAD_TOO_LARGE'),
    );
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, 'v']));
    await assert.rejects(svc.publish('a', {}, Direction.Up, { metadata: many }), code('HS_ERR_METADATA_INVALID'));
    await assert.rejects(svc.publish('a', {}, Direction.Down, { namespace: 'bad name' }), code('HS_ERR_INVALID_NAME'));
  });
}
