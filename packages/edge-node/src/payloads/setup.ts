import { ErrorCode, HubspokeError, type EdgeService } from '@hubspoke/sdk';
import { JetStreamPublisher, subjects, type SetupContext } from '@hubspoke/runtime';
import { Forwarder } from './forwarder.js';
import { OutboxRoute } from './outbox-route.js';
import { Outbox, type OutboxLimits } from './outbox.js';
import { PayloadSender, type PayloadRoute } from './send.js';

/** The edge's payload machinery: the route `sendToControl` takes, and what to stop at close. */
export interface EdgePayloads {
  readonly mode: 'outbox' | 'direct';
  /** Payloads accepted and not yet acknowledged by the hub (outbox mode). */
  pending(): number;
  service(plugin: string): Omit<EdgeService, 'config'>;
  /** Takes an encoded durable Up event the way payloads go (outbox, or straight to the hub). */
  appendDurable(data: Uint8Array, id: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Through a leaf with JetStream of its own (`domain`), payloads go to the outbox and a forwarder sends them
 * on; connected straight to the hub, they are published there directly (no offline durability, said at start).
 */
export async function openEdgePayloads(
  ctx: SetupContext,
  edgeId: string,
  namespace: string,
  domain: string | undefined,
  limits: OutboxLimits,
  directWaitMs: number,
): Promise<EdgePayloads> {
  const hubPublisher = new JetStreamPublisher(ctx.nc, { inboxPrefix: ctx.inboxPrefix, timeoutMs: 5000 });
  const paySubject = subjects.payload(namespace, edgeId);
  let route: PayloadRoute;
  let outboxRoute: OutboxRoute | undefined;
  let localPublisher: JetStreamPublisher | undefined;
  if (domain) {
    localPublisher = new JetStreamPublisher(ctx.nc, { inboxPrefix: ctx.inboxPrefix, timeoutMs: 5000 });
    const outbox = await Outbox.open(ctx.nc, domain, namespace, edgeId, limits, localPublisher);
    outboxRoute = new OutboxRoute(
      ctx.nc,
      namespace,
      edgeId,
      domain,
      outbox,
      () => new Forwarder(ctx.nc, domain, outbox, hubPublisher, paySubject, ctx.log),
      ctx.log,
    );
    outboxRoute.start();
    route = { kind: 'outbox', outbox };
    ctx.log.info(
      { domain, pending: outbox.pending, stream: outbox.stream },
      'edge outbox open: payloads survive hub outages and restarts',
    );
  } else {
    route = { kind: 'direct', publisher: hubPublisher, subject: paySubject, waitMs: directWaitMs };
    ctx.log.warn(
      { waitMs: directWaitMs },
      'edge connected straight to the hub: no offline durability (sendToControl waits for the hub, then fails); ' +
        'run the edge through a leaf node to keep payloads through outages',
    );
  }
  const senders = new Map<string, PayloadSender>();
  return {
    mode: route.kind,
    pending: () => (route.kind === 'outbox' ? route.outbox.pending : hubPublisher.inFlight),
    service(plugin) {
      const sender = new PayloadSender(plugin, edgeId, namespace, route, ctx.limits, ctx.nextId);
      senders.set(plugin, sender);
      return {
        sendToControl: (p, o) => sender.send(p, o),
      };
    },
    async appendDurable(data, id) {
      if (route.kind === 'outbox') await route.outbox.append(data, id);
      else await new PayloadSender('events', edgeId, namespace, route, ctx.limits, ctx.nextId).sendEncoded(data, id);
    },
    async close() {
      await outboxRoute?.stop();
      localPublisher?.close();
      hubPublisher.close();
    },
  };
}
