// Receiving side of DirUp and DirDown rounds. Kinds:
//   bare           `conns` raw nats.js connections subscribed to the round's subject; the body is the payload
//   proto          one raw connection; each body is a protobufjs Envelope, decoded with Envelope.decode
//   fabric-control a control plane; one subscription to the round's topic
//   fabric-edges   `conns` edge nodes (ids `<prefix>N`), each subscribed to the round's topic
import type { ControlPlane } from '@hubspoke/control-plane';
import type { EdgeNode } from '@hubspoke/edge-node';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Commands } from '../worker.js';
import { benchControlPlane, benchEdges, removeState } from '../lib/nodes.js';
import { loadEnvelope } from '../lib/proto.js';
import { readStamp, Tally } from '../lib/util.js';

type Kind = 'bare' | 'proto' | 'fabric-control' | 'fabric-edges';

export function create(): Commands {
  let kind: Kind;
  let ncs: NatsConnection[] = [];
  let control: ControlPlane | undefined;
  let edges: EdgeNode[] = [];
  let tally: Tally | undefined;
  let undo: (() => Promise<void>) | undefined;
  const Envelope = loadEnvelope();

  return {
    async setup(a: { kind: Kind; url: string; conns?: number; prefix?: string }) {
      kind = a.kind;
      const n = a.conns ?? 1;
      if (kind === 'bare' || kind === 'proto') {
        ncs = await Promise.all(Array.from({ length: n }, () => connect({ servers: a.url })));
      } else if (kind === 'fabric-control') {
        control = await benchControlPlane(a.url);
      } else {
        edges = await benchEdges(a.url, n, a.prefix ?? 'e');
      }
      return { pid: process.pid };
    },

    /** Subscribes for one round: `name` is the subject (raw) or topic (fabric); `perConn` messages each. */
    async arm(a: { name: string; perConn: number; latency: boolean }) {
      const conns = kind === 'bare' || kind === 'proto' ? ncs.length : kind === 'fabric-control' ? 1 : edges.length;
      const t = (tally = new Tally(a.perConn * conns, a.latency));
      if (kind === 'bare' || kind === 'proto') {
        const subs: Subscription[] = ncs.map((nc) =>
          nc.subscribe(a.name, {
            callback:
              kind === 'bare'
                ? (_e, m) => t.hit(readStamp(m.data))
                : (_e, m) => {
                    const env = Envelope.decode(m.data) as unknown as { payload: Uint8Array };
                    t.hit(readStamp(env.payload));
                  },
          }),
        );
        await Promise.all(ncs.map((nc) => nc.flush()));
        undo = async () => subs.forEach((s) => s.unsubscribe());
      } else {
        const services = kind === 'fabric-control' ? [(control as ControlPlane).events] : edges.map((e) => e.events);
        const ids = await Promise.all(services.map((ev) => ev.subscribe(a.name, (e) => t.hit(readStamp(e.raw)))));
        undo = async () => {
          await Promise.all(services.map((ev, i) => ev.unsubscribe(ids[i] as string)));
        };
      }
      return {};
    },

    async wait(a: { idleMs: number }) {
      const r = await (tally as Tally).wait(a.idleMs);
      await undo?.();
      undo = undefined;
      const counters = control
        ? { ...control.node.counters }
        : edges.length
          ? edges.reduce(
              (acc, e) => ({
                dropped: acc.dropped + e.node.counters.dropped,
                rejected: acc.rejected + e.node.counters.rejected,
              }),
              { dropped: 0, rejected: 0 },
            )
          : undefined;
      return { ...r, counters };
    },

    async close() {
      await Promise.all(ncs.map((nc) => nc.close()));
      await control?.close();
      await Promise.all(edges.map((e) => e.close()));
      removeState();
      return {};
    },
  };
}
