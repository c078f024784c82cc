import {
  ErrorCode,
  HubspokeError,
  capabilities,
  type EdgePayload,
  type EdgePayloadReceiver,
  type Envelope,
} from '@hubspoke/sdk';
import { handlerScope, pluginCall, type HostedPlugin, type PluginHost } from '@hubspoke/runtime';
import type { Delivery, Handler, Middleware, Result } from './pipeline.js';

/** What came of offering a payload to the receivers. */
export type Outcome =
  { kind: 'handled'; plugin: string } | { kind: 'none' } | { kind: 'threw'; plugin: string; error: string };

/** The receivers of a host, in load order (the order payloads are offered in). */
export function receiversOf(host: PluginHost): HostedPlugin[] {
  return host.list().filter((h) => capabilities.isEdgePayloadReceiver(h.plugin));
}

/**
 * Which receivers a payload is offered to, by its `metadata.type`: the receivers that list the type in their
 * `payloadTypes`, in load order; for a type none lists, the receivers that list no types. Built once, when
 * dispatch starts (plugins are fixed by then). A payload no receiver takes is left for a replica that has one.
 * Before it, every payload was offered to every receiver; an extra offer per payload (the gateway's telemetry
 * receiver answering false) halved durable throughput.
 */
export class PayloadRoutes {
  private readonly byType = new Map<string, HostedPlugin[]>();
  private readonly open: HostedPlugin[] = [];
  readonly receivers: readonly HostedPlugin[];

  constructor(receivers: readonly HostedPlugin[]) {
    this.receivers = receivers;
    for (const h of receivers) {
      const types = payloadTypesOf(h);
      if (types === undefined) this.open.push(h);
      for (const t of types ?? []) {
        const list = this.byType.get(t) ?? [];
        list.push(h);
        this.byType.set(t, list);
      }
    }
  }

  /** The receivers of a payload whose `metadata.type` is `type` (in load order; empty: none takes it). */
  for(type: string | undefined): readonly HostedPlugin[] {
    return (type === undefined ? undefined : this.byType.get(type)) ?? this.open;
  }
}

/** A receiver's `payloadTypes`, checked: undefined when it lists none; a coded error naming the plugin when bad. */
function payloadTypesOf(h: HostedPlugin): readonly string[] | undefined {
  const raw = (h.plugin as Partial<EdgePayloadReceiver>).payloadTypes;
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw) || raw.some((t) => typeof t !== 'string' || t.length === 0 || t.length > 256)) {
    throw new HubspokeError(
      ErrorCode.Plugin,
      `plugin ${h.name}: payloadTypes must be an array of non-empty strings (up to 256 characters each), not ${JSON.stringify(raw)}`,
    );
  }
  return raw.length === 0 ? undefined : (raw as readonly string[]);
}

/** The payload as receivers see it. */
export function toEdgePayload(
  env: Envelope,
  ns: string,
  edge: string,
  receivedNanos: number,
  deliveryCount: number,
): EdgePayload {
  return {
    id: env.id,
    payload: env.payload,
    edgeId: edge,
    edgeNamespace: ns,
    metadata: env.metadata,
    edgeTimestamp: new Date(env.timeUnixMs),
    receivedTimestamp: new Date(Math.floor(receivedNanos / 1_000_000)),
    deliveryCount,
    ...(env.correlationId ? { correlationId: env.correlationId } : {}),
    ...(env.replayOf ? { replay: { of: env.replayOf, at: new Date(env.replayAtUnixMs ?? 0) } } : {}),
  };
}

const NONE: Outcome = { kind: 'none' };

/**
 * Offers a payload to the receivers in load order until one returns true. A throw (or an answer slower than
 * `timeoutMs`) stops the round: the payload is retried later, from the first receiver again. `map` turns the
 * outcome into what the promise resolves to. No async layer: one promise per receiver asked, besides the
 * receiver's own (the await of an async offer, of this function and of each receiver call was a promise and a
 * promise-hook round each, per payload).
 */
export function offerPayload<R = Outcome>(
  receivers: readonly HostedPlugin[],
  payload: EdgePayload,
  env: Envelope,
  timeoutMs: number,
  map: (o: Outcome) => R = (o) => o as R,
): Promise<R> {
  const scope = {
    payloadId: payload.id,
    ...(env.correlationId ? { correlationId: env.correlationId } : {}),
    ...(env.traceparent ? { traceparent: env.traceparent } : {}),
  };
  const from = (i: number): Promise<R> => {
    const h = receivers[i];
    if (h === undefined) return Promise.resolve(map(NONE));
    const receiver = h.plugin as unknown as EdgePayloadReceiver;
    return pluginCall(
      h.name,
      'acceptEdgePayload',
      timeoutMs,
      () => handlerScope.run(scope, () => receiver.acceptEdgePayload(h.ctx, payload)),
      {
        ok: (ok): R | Promise<R> => (ok === true ? map({ kind: 'handled', plugin: h.name }) : from(i + 1)),
        err: (e) => map({ kind: 'threw', plugin: h.name, error: e.message }),
      },
    );
  };
  return from(0);
}

/**
 * Picks the receivers of a payload by its type (before retry: an offer is recorded only when there is someone to
 * offer it to). When none here takes it, `noReceiver` is called and the delivery stops: the payload stays for a
 * replica that has a receiver for it, neither offered nor counted as offered.
 */
export function routeStep(routes: () => PayloadRoutes, noReceiver: (d: Delivery) => void): Middleware {
  return (next) => (d) => {
    const list = routes().for((d.env as Envelope).metadata['type']);
    if (list.length === 0) {
      noReceiver(d);
      return Promise.resolve({ kind: 'stopped' });
    }
    d.receivers = list;
    return next(d);
  };
}

/**
 * The innermost step: one round of offers to the receivers the route step picked. A receiver that throws (or
 * times out) asks for a retry; every receiver returning false rejects it for good.
 */
export function offerHandler(timeoutMs: number, hooks: { onOffer(): void }): Handler {
  return (d) => {
    const env = d.env as Envelope;
    const count = d.nextOffer;
    hooks.onOffer();
    const payload = toEdgePayload(env, d.ns, d.edge, d.receivedNanos, count);
    return offerPayload(d.receivers ?? [], payload, env, timeoutMs, (outcome): Result => {
      if (outcome.kind === 'handled') return { kind: 'handled', plugin: outcome.plugin, deliveryCount: count };
      if (outcome.kind === 'none') {
        return {
          kind: 'reject',
          reason: 'no receiver handled it (every acceptEdgePayload returned false)',
          plugin: '',
          attempts: count,
        };
      }
      return { kind: 'reject', reason: outcome.error, plugin: outcome.plugin, attempts: count, retry: true };
    });
  };
}
