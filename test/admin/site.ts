import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdminClient,
  startControlPlane,
  type ControlPlane,
  type ReplayProgress,
  type ReplayRequest,
} from '@hubspoke/control-plane';
import { startEdgeNode, type EdgeNode } from '@hubspoke/edge-node';
import { testLog } from '../fixtures/fabric.js';
import { Sender, type Receiver } from '../fixtures/receiver.js';
import { sleep, startNatsServer, waitFor, type NatsServer } from '../helpers/index.js';

/** Small retry settings: a poison payload is dead-lettered after 2 offers, within a fraction of a second. */
export const fastPayloads = { maxDeliveries: 2, backoffInitialMs: 20, backoffMaxMs: 100 };

/** A hub, a control plane with receivers and the admin API on a free loopback port, and edges sending to it. */
export interface AdminSite extends AsyncDisposable {
  hub: NatsServer;
  cp: ControlPlane;
  admin: AdminClient;
  address: string;
  edges: Map<string, { node: EdgeNode; sender: Sender }>;
  /** Starts an edge (straight to the hub, or through a leaf of its own when the site has one). */
  edge(edgeId: string, namespace: string): Promise<Sender>;
}

export async function startAdminSite(receivers: Receiver[], opts: { leaf?: boolean } = {}): Promise<AdminSite> {
  const hub = await startNatsServer({ domain: 'hub', leafListen: opts.leaf === true });
  const dir = await mkdtemp(join(tmpdir(), 'hubspoke-admin-'));
  const leaves: NatsServer[] = [];
  let cp: ControlPlane | undefined;
  try {
    cp = await startControlPlane({
      natsUrl: hub.url,
      log: testLog(),
      plugins: receivers,
      payloads: fastPayloads,
      admin: { listen: '127.0.0.1:0' },
    });
  } catch (err) {
    await hub[Symbol.asyncDispose]();
    throw err;
  }
  const address = cp.admin?.address as string;
  const admin = new AdminClient(address);
  const edges = new Map<string, { node: EdgeNode; sender: Sender }>();
  return {
    hub,
    cp,
    admin,
    address,
    edges,
    async edge(edgeId, namespace) {
      const sender = new Sender();
      let natsUrl = hub.url;
      if (opts.leaf) {
        const leaf = await startNatsServer({ domain: `edge-${edgeId}`, leafRemotes: [hub.leafUrl as string] });
        leaves.push(leaf);
        natsUrl = leaf.url;
      }
      const node = await startEdgeNode({
        natsUrl,
        edgeId,
        namespace,
        log: testLog(),
        plugins: [sender],
        stateDir: join(dir, edgeId),
      });
      edges.set(edgeId, { node, sender });
      return sender;
    },
    async [Symbol.asyncDispose]() {
      admin.close();
      await Promise.allSettled([...edges.values()].map((e) => e.node.close()));
      await cp?.close().catch(() => undefined);
      for (const l of leaves) await l[Symbol.asyncDispose]();
      await hub[Symbol.asyncDispose]();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs a replay to its end; returns every progress message (the last one has `done`). */
export async function runReplay(admin: AdminClient, req: ReplayRequest): Promise<ReplayProgress[]> {
  const out: ReplayProgress[] = [];
  for await (const p of admin.replay(req)) out.push(p);
  return out;
}

/**
 * Sends `n` payloads and waits until the receiver has them; returns their ids. A pause on each side keeps the
 * batch's hub timestamps apart from its neighbours', so that a time window can take exactly this batch.
 */
export async function sendBatch(
  sender: Sender,
  r: Receiver,
  bodies: object[],
  opts: { correlationId?: string } = {},
): Promise<{ ids: string[]; from: number; to: number }> {
  await sleep(30);
  const from = Date.now();
  const before = r.accepted.length;
  const ids: string[] = [];
  for (const b of bodies) ids.push((await sender.send(b, opts)).id);
  await waitFor(() => r.accepted.length >= before + bodies.length, {
    message: `accepted ${r.accepted.length - before}/${bodies.length}`,
  });
  await sleep(30);
  return { ids, from, to: Date.now() };
}

/**
 * A barrier for "nothing more happens": sends a marker payload from `sender` and waits until `r` was offered
 * it. The dispatcher offers an edge's payloads in order, so whatever it would have offered before the marker
 * has been offered by then. Returns the offers that are not markers.
 */
export async function afterDispatch(sender: Sender, r: Receiver): Promise<Receiver['offers']> {
  const { id } = await sender.send({ marker: true, n: 0 });
  await waitFor(() => r.offers.some((p) => p.id === id), { message: 'the marker payload is offered' });
  return r.offers.filter((p) => !(JSON.parse(Buffer.from(p.payload).toString()) as { marker?: boolean }).marker);
}
