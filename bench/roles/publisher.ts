// Publishing side of DirUp and DirDown rounds, fire-and-forget like the fabric. Kinds:
//   bare           `conns` raw nats.js connections; the body is the 128 B payload
//   proto          `conns` raw connections; each body a protobufjs Envelope built per message
//                  (Envelope.encode(Envelope.fromObject(...)).finish()), what a user would hand-roll
//   fabric-edges   `conns` edge nodes publishing Up with events.publishRaw
//   fabric-control a control plane publishing Down to every edge with events.publishRaw
// Messages go round-robin over the connections; every payload carries the publisher's clock (lib/util.ts).
import type { ControlPlane } from '@hubspoke/control-plane';
import type { EdgeNode } from '@hubspoke/edge-node';
import { Direction, type EventsService } from '@hubspoke/sdk';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Commands } from '../worker.js';
import { benchControlPlane, benchEdges, removeState } from '../lib/nodes.js';
import { loadEnvelope } from '../lib/proto.js';
import { pump, stampedPayload } from '../lib/util.js';

type Kind = 'bare' | 'proto' | 'fabric-control' | 'fabric-edges';

export function create(): Commands {
  let kind: Kind;
  let ncs: NatsConnection[] = [];
  let services: EventsService[] = [];
  let control: ControlPlane | undefined;
  let edges: EdgeNode[] = [];
  const Envelope = loadEnvelope();
  let idSeq = 0;
  const idPrefix = `${process.pid}.`;

  return {
    async setup(a: { kind: Kind; url: string; conns?: number; prefix?: string }) {
      kind = a.kind;
      const n = a.conns ?? 1;
      if (kind === 'bare' || kind === 'proto') {
        ncs = await Promise.all(Array.from({ length: n }, () => connect({ servers: a.url })));
      } else if (kind === 'fabric-control') {
        control = await benchControlPlane(a.url);
        services = [control.events];
        ncs = [control.node.nc];
      } else {
        edges = await benchEdges(a.url, n, a.prefix ?? 'u');
        services = edges.map((e) => e.events);
        ncs = edges.map((e) => e.node.nc);
      }
      return { pid: process.pid };
    },

    /** Publishes `count` messages of `size` bytes on subject/topic `name`; `rate` msg/s paces them. */
    async publish(a: { name: string; count: number; size: number; rate?: number }) {
      const n = ncs.length;
      let send: (i: number) => void;
      if (kind === 'bare') {
        send = (i) => (ncs[i % n] as NatsConnection).publish(a.name, stampedPayload(a.size));
      } else if (kind === 'proto') {
        send = (i) => {
          const nc = ncs[i % n] as NatsConnection;
          const body = Envelope.encode(
            Envelope.fromObject({
              id: idPrefix + (++idSeq).toString(36),
              topic: a.name,
              direction: 1,
              origin: `plugin:bench@u${i % n}`,
              namespace: 'bench',
              edgeId: `u${i % n}`,
              timeUnixMs: Date.now(),
              contentType: 'application/octet-stream',
              payload: stampedPayload(a.size),
            }),
          ).finish();
          nc.publish(a.name, body);
        };
      } else {
        const dir = kind === 'fabric-control' ? Direction.Down : Direction.Up;
        send = (i) => void (services[i % n] as EventsService).publishRaw(a.name, stampedPayload(a.size), dir);
      }
      const ms = await pump(a.count, send, a.rate);
      await Promise.all(ncs.map((nc) => nc.flush()));
      return { ms };
    },

    async close() {
      if (kind === 'bare' || kind === 'proto') await Promise.all(ncs.map((nc) => nc.close()));
      await control?.close();
      await Promise.all(edges.map((e) => e.close()));
      removeState();
      return {};
    },
  };
}
