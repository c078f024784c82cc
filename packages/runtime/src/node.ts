import { randomBytes } from 'node:crypto';
import {
  DEFAULT_LIMITS,
  ErrorCode,
  HubspokeError,
  isHubspokeError,
  Runtime,
  type EventsService,
  type KVService,
  type Limits,
  type Services,
} from '@hubspoke/sdk';
import { ENVELOPE_OVERHEAD_BYTES } from '@hubspoke/sdk/internal';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger as Pino } from 'pino';
import { PluginEvents } from './events/events-service.js';
import { Fabric, type NodeIdentity } from './events/fabric.js';
import { LocalBus, type EventCounters } from './events/local-bus.js';
import { PluginHost, type HostTimeouts } from './host/host.js';
import { disposePlugins, loadPlugins, type PluginSpec } from './host/load.js';
import { createRootLogger, pluginLogger, type LogOptions } from './logger.js';
import { connectNats, watchConnection, type ConnectionState, type TlsFiles } from './nats/connection.js';

/** The longest one step of a node's close may take before the close goes on without it. */
const CLOSE_STEP_MS = 40_000;

/** What both runtimes have in common to start a node. */
export interface NodeOptions {
  identity: NodeIdentity;
  servers: string | string[];
  credentials?: string | undefined;
  /** TLS to the server (CA; certificate and key for mTLS). */
  tls?: TlsFiles | undefined;
  inboxPrefix?: string | undefined;
  plugins: readonly PluginSpec[];
  log?: LogOptions | Pino | undefined;
  limits?: Partial<Limits> | undefined;
  /** Events a subscription may hold while its handler is busy. @default 1024 */
  queueSize?: number | undefined;
  /** @default 30000 */
  connectTimeoutMs?: number | undefined;
  timeouts?: Partial<HostTimeouts> | undefined;
  /**
   * Runs once connected, before plugins initialize: opens what the runtime needs (KV, outbox, streams) and
   * returns each plugin's KV and runtime-specific services, and what to close after the plugins stop.
   */
  setup: (ctx: SetupContext) => Promise<RuntimeParts>;
}

/** What a runtime's setup gets. */
export interface SetupContext {
  nc: NatsConnection;
  log: Pino;
  limits: Readonly<Limits>;
  /** A new fabric id (events and payloads share one id space per process). */
  nextId: () => string;
  /** The prefix of this node's request inboxes. */
  inboxPrefix: string;
  /** The plugins, in load order (available once initialized). */
  host: PluginHost;
  /** The node's fabric: durable sinks and filters are set here, events from streams delivered here. */
  fabric: Fabric;
  /** The node's local bus (a runtime's own Local events: `new PluginEvents(owner, identity, fabric, bus)`). */
  bus: LocalBus;
  /** Calls `fn` after every reconnect, once the server has this node's subscriptions again. */
  onReconnect(fn: () => void): void;
}

/** What a runtime's setup returns. */
export interface RuntimeParts {
  kv: (plugin: string) => KVService;
  services?: (plugin: string) => Partial<Services>;
  /** A plugin's config from elsewhere than its spec (an edge's synced `plugin.<name>`), validated; undefined: the spec's. */
  pluginConfig?: (plugin: string) => Record<string, unknown> | undefined;
  /** Runs after `onSessionReady` of every plugin (dispatch starts here, so receivers are ready). */
  ready?: () => Promise<void>;
  /** Runs first at close, before the plugins shut down (dispatch stops here, so nothing reaches a stopped plugin). */
  stopping?: () => Promise<void>;
  /** Runs after the plugins have shut down, before NATS drains. */
  close?: () => Promise<void>;
}

/** A running node: the NATS connection, the bus, the fabric and the plugins. */
export interface HubspokeNode {
  readonly identity: NodeIdentity;
  readonly nc: NatsConnection;
  readonly log: Pino;
  readonly bus: LocalBus;
  readonly fabric: Fabric;
  readonly host: PluginHost;
  readonly connection: ConnectionState;
  readonly limits: Readonly<Limits>;
  readonly counters: Readonly<EventCounters>;
  /** An Events service publishing as `plugin:<owner>@<node>`, for code outside plugins (tools, tests). */
  eventsFor(owner: string): EventsService;
  close(): Promise<void>;
}

function effectiveLimits(nc: NatsConnection, wanted: Partial<Limits> | undefined, log: Pino): Readonly<Limits> {
  const limits: Limits = { ...DEFAULT_LIMITS, ...wanted };
  const serverMax = nc.info?.max_payload;
  if (serverMax && limits.maxPayloadBytes > serverMax - ENVELOPE_OVERHEAD_BYTES) {
    const clamped = Math.max(1024, serverMax - ENVELOPE_OVERHEAD_BYTES);
    log.info(
      { wanted: limits.maxPayloadBytes, serverMaxPayload: serverMax, limit: clamped },
      'payload limit lowered to fit the server max_payload with room for the envelope',
    );
    limits.maxPayloadBytes = clamped;
  }
  return Object.freeze(limits);
}

/**
 * Starts a node: loads and checks plugins (before connecting, so a bad plugin fails fast), connects,
 * subscribes the fabric, opens KV, initializes plugins, then runs `onSessionReady`. Anything that fails
 * undoes what was done and rejects with a coded error.
 */
export async function startNode(o: NodeOptions): Promise<HubspokeNode> {
  const id = o.identity;
  const log = createRootLogger(id.nodeId, o.log);
  const loaded = await loadPlugins(o.plugins, { log });
  let host: PluginHost;
  let nc: NatsConnection;
  try {
    host = new PluginHost(id, log, loaded, {
      initializeMs: o.timeouts?.initializeMs ?? 10000,
      shutdownMs: o.timeouts?.shutdownMs ?? 10000,
    });
    nc = await connectNats(
      {
        servers: o.servers,
        name: `hubspoke-${id.runtime}-${id.nodeId}`,
        timeoutMs: o.connectTimeoutMs ?? 30000,
        ...(o.credentials ? { credentials: o.credentials } : {}),
        ...(o.tls ? { tls: o.tls } : {}),
        ...(o.inboxPrefix ? { inboxPrefix: o.inboxPrefix } : {}),
      },
      log,
    );
  } catch (err) {
    await disposePlugins(loaded);
    throw err;
  }
  const bus = new LocalBus(log, host.runHandler, o.queueSize ?? 1024);
  const limits = effectiveLimits(nc, o.limits, log);
  const fabric = new Fabric(id, nc, bus, log, limits, `${randomBytes(9).toString('base64url')}.`);
  const reconnectListeners: (() => void)[] = [];
  const connection = watchConnection(nc, log, () => {
    for (const fn of reconnectListeners) fn();
  });
  let closed: Promise<void> | undefined;
  let parts: RuntimeParts | undefined;
  // Each step of a close has a deadline: a step stuck on a hub that does not answer (stopped, say) is logged and
  // left behind, and the connection is closed under it, so close() always ends.
  const bounded = async (what: string, p: Promise<unknown>): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        log.warn({ step: what, ms: CLOSE_STEP_MS }, 'a close step did not finish in time; going on');
        resolve();
      }, CLOSE_STEP_MS);
    });
    try {
      await Promise.race([p.catch((err: unknown) => log.error({ err }, `${what} failed`)), late]);
    } finally {
      clearTimeout(timer);
    }
  };
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      await bounded('runtime stop', parts?.stopping?.() ?? Promise.resolve());
      await host.shutdown(bus);
      await disposePlugins(loaded);
      fabric.stop();
      await bounded('runtime close', parts?.close?.() ?? Promise.resolve());
      await bounded('connection drain', nc.drain());
      if (!nc.isClosed()) await nc.close();
      log.info('node stopped');
    })());
  try {
    await fabric.start();
    parts = await o
      .setup({
        nc,
        log,
        limits,
        host,
        fabric,
        bus,
        nextId: () => fabric.nextId(),
        inboxPrefix: o.inboxPrefix ?? '_INBOX',
        onReconnect: (fn) => void reconnectListeners.push(fn),
      })
      .catch((cause: unknown) => {
        if (isHubspokeError(cause)) throw cause;
        throw new HubspokeError(
          ErrorCode.JetStreamUnavailable,
          `cannot open the node's JetStream state: ${(cause as Error)?.message ?? String(cause)} (is JetStream enabled on the server?)`,
          { cause },
        );
      });
    const p = parts;
    await host.initialize(
      (plugin) => ({
        events: new PluginEvents(plugin, id, fabric, bus),
        kv: p.kv(plugin),
        logger: pluginLogger(log, plugin),
        ...p.services?.(plugin),
      }),
      p.pluginConfig,
    );
    await host.sessionReady();
    await p.ready?.();
  } catch (err) {
    await close().catch(() => undefined);
    throw isHubspokeError(err) ? err : new HubspokeError(ErrorCode.Internal, String(err), { cause: err });
  }
  log.info(
    { runtime: id.runtime, namespace: id.namespace, server: nc.getServer(), plugins: host.list().map((h) => h.name) },
    'node ready',
  );
  return {
    identity: id,
    nc,
    log,
    bus,
    fabric,
    host,
    connection,
    limits,
    counters: bus.counters,
    close,
    eventsFor: (owner) => new PluginEvents(owner, id, fabric, bus),
  };
}

export { Runtime };
