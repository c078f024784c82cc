import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { startEdgeNode, type EdgeNode } from '@hubspoke/edge-node';
import { testLog } from '../fixtures/fabric.js';
import { startNodeProcess, type NodeProcess } from '../fixtures/proc.js';
import { Sender } from '../fixtures/receiver.js';
import { Tally } from '../fixtures/tally.js';
import { sleep, startNatsServer, waitFor, type NatsServer } from '../helpers/index.js';

// Control-plane replicas as child processes (SIGKILLed mid-flow), edges in this process, each through a leaf of
// its own, as in production. Every offer is reported by the replicas and tallied here.
describe('control-plane replicas under faults', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hubspoke-replicas-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  interface Site extends AsyncDisposable {
    hub: NatsServer;
    tally: Tally;
    replica(env?: Record<string, string>): Promise<NodeProcess>;
    edge(edgeId: string): Promise<{ node: EdgeNode; sender: Sender }>;
  }

  async function site(): Promise<Site> {
    const hub = await startNatsServer({ domain: 'hub', leafListen: true });
    const tally = new Tally();
    const procs: NodeProcess[] = [];
    const leaves: NatsServer[] = [];
    const edges: EdgeNode[] = [];
    return {
      hub,
      tally,
      async replica(env = {}) {
        const p = startNodeProcess('control-tally', { NATS_URL: hub.url, ...env }, (l) => tally.line(l));
        procs.push(p);
        await p.waitForLine(/^ready$/, 30000);
        return p;
      },
      async edge(edgeId) {
        const leaf = await startNatsServer({ domain: `edge-${edgeId}`, leafRemotes: [hub.leafUrl as string] });
        leaves.push(leaf);
        const sender = new Sender();
        const node = await startEdgeNode({
          natsUrl: leaf.url,
          edgeId,
          namespace: 'eu',
          log: testLog(),
          plugins: [sender],
          stateDir: join(dir, edgeId),
        });
        edges.push(node);
        return { node, sender };
      },
      async [Symbol.asyncDispose]() {
        await Promise.allSettled(edges.map((e) => e.close()));
        await Promise.allSettled(procs.map((p) => p.kill()));
        for (const l of leaves) await l[Symbol.asyncDispose]();
        await hub[Symbol.asyncDispose]();
      },
    };
  }

  /** The replica whose receiver printed a line matching `re`. */
  const whoPrinted = (procs: NodeProcess[], re: RegExp) => procs.find((p) => p.lines.some((l) => re.test(l)));

  test('a replica SIGKILLed while its receiver is busy with X: another takes the edge in seconds, X again flagged, none lost', async () => {
    await using s = await site();
    const a = await s.replica({ HANG_N: '20' });
    const b = await s.replica({ HANG_N: '20' });
    const { sender } = await s.edge('busy');
    for (let n = 0; n < 21; n++) await sender.send({ n });
    await waitFor(() => whoPrinted([a, b], /^hanging busy 20$/), { timeoutMs: 15000, message: 'X is offered' });
    const owner = whoPrinted([a, b], /^hanging busy 20$/) as NodeProcess;
    const other = owner === a ? b : a;
    // Payloads queued behind X at the owner, never offered there.
    for (let n = 21; n < 40; n++) await sender.send({ n });
    const killedAt = performance.now();
    await owner.kill();
    await waitFor(() => s.tally.has('busy', 20), { timeoutMs: 10000, message: 'X handled by the other replica' });
    const takeoverMs = performance.now() - killedAt;
    for (let n = 40; n < 100; n++) await sender.send({ n });
    await waitFor(() => s.tally.handledCount >= 100, {
      timeoutMs: 20000,
      message: `handled ${s.tally.handledCount}/100`,
    });
    assert.deepEqual(
      s.tally.summary({ busy: 100 }),
      { lost: 0, unflagged: 0, outOfOrder: 0 },
      s.tally.describe({ busy: 100 }),
    );
    assert.ok(takeoverMs < 5000, `taken over in ${Math.round(takeoverMs)} ms (< 5 s; the lease is 3 s)`);
    assert.ok(other.lines.includes('offer busy 20 2'), 'X offered again with deliveryCount 2');
    const firstOffers = other.lines.filter((l) => /^offer busy (2[1-9]|3\d) /.test(l));
    assert.deepEqual(
      firstOffers.filter((l) => !l.endsWith(' 1')),
      [],
      'payloads queued at the dead replica but never offered come with deliveryCount 1',
    );
  });

  test('two replicas with fast receivers, one SIGKILLed mid-flow: nothing lost, no unflagged duplicate, in order', async () => {
    await using s = await site();
    const a = await s.replica();
    const b = await s.replica();
    const e1 = await s.edge('fast-1');
    const e2 = await s.edge('fast-2');
    const N = 400;
    const sendAll = async (sender: Sender) => {
      for (let n = 0; n < N; n++) await sender.send({ n });
    };
    const sending = Promise.all([sendAll(e1.sender), sendAll(e2.sender)]);
    await waitFor(() => s.tally.handledCount >= 200 && whoPrinted([a, b], /^handled fast-1 /), {
      timeoutMs: 20000,
      message: `dispatch under way (handled ${s.tally.handledCount})`,
    });
    // Kill the replica that owns fast-1 (it may own both).
    const victim = whoPrinted([a, b], /^handled fast-1 /) as NodeProcess;
    await victim.kill();
    await sending;
    await waitFor(() => s.tally.handledCount >= 2 * N, {
      timeoutMs: 30000,
      message: `handled ${s.tally.handledCount}/${2 * N}: ${s.tally.describe({ 'fast-1': N, 'fast-2': N })}`,
    });
    assert.deepEqual(
      s.tally.summary({ 'fast-1': N, 'fast-2': N }),
      { lost: 0, unflagged: 0, outOfOrder: 0 },
      s.tally.describe({ 'fast-1': N, 'fast-2': N }),
    );
    // Payloads the dead replica claimed without offering come first with deliveryCount 2: at most a claim's 256.
    for (const edge of ['fast-1', 'fast-2']) {
      const early = s.tally.firstNotOne.filter((k) => k.startsWith(`${edge}#`));
      assert.ok(
        early.length <= 256,
        `${edge}: ${early.length} first offers said deliveryCount > 1: ${early.slice(0, 5)}`,
      );
    }
  });

  test('the owner SIGSTOPped past its lease, then resumed: the other took over, the first stops; none lost, none unflagged', async () => {
    await using s = await site();
    const a = await s.replica({ SLOW_MS: '5' });
    const b = await s.replica({ SLOW_MS: '5' });
    const { sender } = await s.edge('frozen');
    const N = 400;
    const sending = (async () => {
      for (let n = 0; n < N; n++) {
        await sender.send({ n });
        if (n % 20 === 0) await sleep(10);
      }
    })();
    await waitFor(() => s.tally.handledCount >= 50, { timeoutMs: 20000, message: 'dispatch under way' });
    const owner = whoPrinted([a, b], /^handled frozen /) as NodeProcess;
    const other = owner === a ? b : a;
    process.kill(owner.child.pid as number, 'SIGSTOP');
    await waitFor(() => other.lines.some((l) => l.startsWith('handled frozen ')), {
      timeoutMs: 10000,
      message: 'the other replica takes the edge over',
    });
    process.kill(owner.child.pid as number, 'SIGCONT');
    await sending;
    await waitFor(() => s.tally.handledCount >= N, {
      timeoutMs: 30000,
      message: `handled ${s.tally.handledCount}/${N}`,
    });
    await sleep(1000); // anything the resumed replica would still offer shows now
    assert.deepEqual(
      s.tally.summary({ frozen: N }),
      { lost: 0, unflagged: 0, outOfOrder: 0 },
      s.tally.describe({ frozen: N }),
    );
    const lastByOwner = owner.lines.filter((l) => l.startsWith('offer frozen ')).length;
    await sleep(500);
    assert.equal(
      owner.lines.filter((l) => l.startsWith('offer frozen ')).length,
      lastByOwner,
      'the resumed replica offers nothing more',
    );
  });

  test('one edge, two replicas: one owner dispatches it, in order, once each; the other stays idle', async () => {
    await using s = await site();
    const a = await s.replica();
    const b = await s.replica();
    const { sender } = await s.edge('one');
    for (let n = 0; n < 300; n++) await sender.send({ n });
    await waitFor(() => s.tally.handledCount >= 300, { timeoutMs: 20000, message: `handled ${s.tally.handledCount}` });
    assert.deepEqual(
      s.tally.summary({ one: 300 }),
      { lost: 0, unflagged: 0, outOfOrder: 0 },
      s.tally.describe({ one: 300 }),
    );
    assert.equal(s.tally.flagged, 0, 'no payload offered twice');
    const offersBy = (p: NodeProcess) => p.lines.filter((l) => l.startsWith('offer ')).length;
    assert.deepEqual(
      [offersBy(a), offersBy(b)].sort((x, y) => x - y),
      [0, 300],
      'one replica did it all',
    );
  });
  test('a replica that joins gets its share of the edges, each handed over cleanly: none lost, none offered twice, in order', async () => {
    await using s = await site();
    // Their logs at info: each hand-over of a rebalance is a line.
    const a = await s.replica({ LOG_LEVEL: 'info' });
    const ids = ['join-1', 'join-2', 'join-3', 'join-4'];
    const edges = await Promise.all(ids.map((id) => s.edge(id)));
    const sent = new Map(ids.map((id) => [id, 0]));
    let stop = false;
    const sending = Promise.all(
      edges.map(async ({ sender }, i) => {
        const id = ids[i] as string;
        while (!stop) {
          await sender.send({ n: sent.get(id) });
          sent.set(id, (sent.get(id) as number) + 1);
          if ((sent.get(id) as number) % 10 === 0) await sleep(10);
        }
      }),
    );
    const edgesOf = (p: NodeProcess) =>
      new Set(p.lines.filter((l) => l.startsWith('handled ')).map((l) => l.split(' ')[1] as string));
    let b: NodeProcess;
    try {
      await waitFor(() => s.tally.handledCount >= 200, { timeoutMs: 20000, message: 'dispatch under way' });
      b = await s.replica({ LOG_LEVEL: 'info' });
      await waitFor(() => edgesOf(b).size >= 2, { timeoutMs: 20000, message: 'the new replica has no two edges' });
      const atJoin = s.tally.handledCount;
      await waitFor(() => s.tally.handledCount >= atJoin + 200, { timeoutMs: 20000, message: 'dispatch goes on' });
    } finally {
      stop = true; // a failure above must not leave the senders running into closed edges
      await sending.catch(() => undefined);
    }
    const total = [...sent.values()].reduce((x, y) => x + y, 0);
    await waitFor(() => s.tally.handledCount >= total, { timeoutMs: 30000, message: `not all ${total} handled` });
    assert.deepEqual(
      s.tally.summary(Object.fromEntries(sent)),
      { lost: 0, unflagged: 0, outOfOrder: 0 },
      s.tally.describe(Object.fromEntries(sent)),
    );
    assert.equal(s.tally.flagged, 0, 'a clean hand-over offers nothing twice');
    assert.deepEqual(s.tally.firstNotOne, [], 'every first offer has deliveryCount 1');
    assert.equal(edgesOf(b).size, 2, 'two edges each');
    const handOvers = [a, b].flatMap((p) => p.lines.filter((l) => l.includes('edge handed to another replica')));
    assert.equal(handOvers.length, 2, `two edges moved, each once: ${handOvers.join('\n')}`);
    for (const edge of edgesOf(b)) {
      assert.ok(
        a.lines.some((l) => l.startsWith(`handled ${edge} `)),
        `${edge} moved from the first replica, mid-flow`,
      );
    }
  });
});
