import { randomBytes } from 'node:crypto';
import {
  Server,
  ServerCredentials,
  credentials,
  makeClientConstructor,
  type Client,
  type ServiceError,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { ErrorCode, HubspokeError } from '../errors.js';
import { capabilities, type ObjectChange, type Plugin } from '../plugin.js';
import type { Runtime } from '../direction.js';
import type { Context } from '../services.js';
import { wireEvent, wirePayload } from './event.js';
import { gatewayStreamHandler } from './gateway-serve.js';
import { gatewayHooksOf } from './gateway-wire.js';
import { HandlerTable, HostCalls, deliveryScope, remoteServices } from './proxies.js';
import {
  HOST_SERVICE,
  PLUGIN_ENV,
  PLUGIN_PROTOCOL,
  PLUGIN_SERVICE,
  callUnary,
  fromServiceError,
  serviceDefinition,
  unary,
} from './rpc.js';
import {
  CAPABILITY,
  fromJson,
  toJson,
  type WireConfigChange,
  type WireEventDelivery,
  type WireInitialize,
  type WireManifest,
  type WireObjectChange,
  type WireObjectChangeReply,
  type WirePayloadDelivery,
  type WireScheduledTask,
} from './wire.js';

/** Options of {@link serve}; each defaults to what the host put in the environment. */
export interface ServeOptions {
  /** The one-time token the host gave. @default process.env.HUBSPOKE_PLUGIN_TOKEN */
  token?: string;
  /** The host's address, to register with. Absent: wait for a host to attach. @default process.env.HUBSPOKE_PLUGIN_HOST */
  hostAddress?: string;
  /** Where to listen. @default process.env.HUBSPOKE_PLUGIN_LISTEN ?? '127.0.0.1:0' */
  listen?: string;
  /** Deadline of each call to the host. @default 60000 */
  callTimeoutMs?: number;
  /** Exit the process when stdin ends (the host is gone). @default true when the host started this process */
  exitWithHost?: boolean;
}

/** A plugin being served. */
export interface ServedPlugin {
  /** Where its Plugin service listens. */
  readonly address: string;
  /** Stops serving (without calling the plugin's `shutdown`). */
  close(): Promise<void>;
}

interface Session {
  ctx: Context;
  abort: AbortController;
  channel: Client;
}

function describe(plugin: Plugin): WireManifest {
  const caps: string[] = [];
  if (capabilities.isSessionAware(plugin)) {
    caps.push(CAPABILITY.session);
    if (typeof plugin.onSessionClosing === 'function') caps.push(CAPABILITY.sessionClosing);
  }
  if (capabilities.isEdgePayloadReceiver(plugin)) caps.push(CAPABILITY.edgePayloadReceiver);
  if (capabilities.isSchedulerPlugin(plugin)) caps.push(CAPABILITY.scheduler);
  if (capabilities.isConfigChangeHandler(plugin)) caps.push(CAPABILITY.configChange);
  if (capabilities.isObjectHookHandler(plugin)) caps.push(CAPABILITY.objectHook);
  if (capabilities.isUIProvider(plugin)) caps.push(CAPABILITY.ui);
  caps.push(CAPABILITY.eventBatch);
  const m = capabilities.isManifestProvider(plugin) ? plugin.getManifest() : undefined;
  return {
    name: plugin.info.name,
    version: plugin.info.version,
    description: plugin.info.description ?? '',
    hasManifest: m !== undefined,
    scopes: m?.scopes ?? [],
    schedules: (m?.schedules ?? []).map((s) => ({ id: s.id, cron: s.cron, timeoutMs: s.timeoutMs ?? 0 })),
    configSchemaJson: capabilities.isConfigProvider(plugin) ? JSON.stringify(plugin.getConfigSchema()) : '',
    capabilities: caps,
    protocol: PLUGIN_PROTOCOL,
    gatewayHooks: gatewayHooksOf(plugin),
    gatewayEndpointsJson: capabilities.isCustomEndpointHandler(plugin) ? JSON.stringify(plugin.getEndpoints()) : '',
    payloadTypes: capabilities.isEdgePayloadReceiver(plugin) ? [...(plugin.payloadTypes ?? [])] : [],
  };
}

/**
 * Runs a plugin as its own process: the same class that runs in process, unchanged. Started by a runtime
 * (`plugins: [{ command: ['node', 'my-plugin.js'] }]`), it registers with the host named in its environment;
 * its `ctx.services` call the host, which runs each call as this plugin. A module ends with:
 * ```ts
 * serve(new MyPlugin());
 * ```
 * @throws HubspokeError `HS_ERR_CONFIG_INVALID` when no token was given (not started by a host, nor given one)
 */
export async function serve(
  pluginOrClass: Plugin | (new () => Plugin),
  opts: ServeOptions = {},
): Promise<ServedPlugin> {
  const plugin = typeof pluginOrClass === 'function' ? new pluginOrClass() : pluginOrClass;
  if (!capabilities.isPlugin(plugin)) {
    throw new HubspokeError(
      ErrorCode.Plugin,
      'serve() needs a plugin: an object with info ({ name, version }) and initialize()',
    );
  }
  const token = opts.token ?? process.env[PLUGIN_ENV.token];
  if (!token) {
    throw new HubspokeError(
      ErrorCode.ConfigInvalid,
      `${PLUGIN_ENV.token} is not set: a plugin process is started by a hubspoke runtime (plugins: [{ command }]), ` +
        'or given { token, listen } to wait for one that attaches',
    );
  }
  const hostAddress = opts.hostAddress ?? process.env[PLUGIN_ENV.host];
  const callTimeoutMs = opts.callTimeoutMs ?? 60_000;
  const instanceId = randomBytes(8).toString('hex');
  const table = new HandlerTable();
  /** Per subscription: the delivery the next one waits for. */
  const lanes = new Map<string, Promise<void>>();
  /**
   * Runs one event delivery after the subscription's previous one, in arrival order; one the host gave up on
   * (its call's deadline passed: 'cancelled') stops holding back the next, though its handler may still run.
   */
  const runDelivery = async (
    req: WireEventDelivery,
    call: { cancelled: boolean; once(e: 'cancelled', f: () => void): unknown },
  ) => {
    const prev = lanes.get(req.subscriptionId) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    lanes.set(req.subscriptionId, mine);
    call.once('cancelled', release);
    try {
      await prev;
      if (call.cancelled) return;
      const handler = await table.find(req.subscriptionId);
      if (!handler) throw new HubspokeError(ErrorCode.Plugin, `no subscription ${req.subscriptionId} in this process`);
      const ev = wireEvent(req.event, req.receivedUnixMs);
      const scope = {
        eventId: ev.id,
        ...(ev.correlationId ? { correlationId: ev.correlationId } : {}),
        ...(ev.traceparent ? { traceparent: ev.traceparent } : {}),
      };
      await deliveryScope.run(scope, handler, ev);
    } finally {
      release();
      if (lanes.get(req.subscriptionId) === mine) lanes.delete(req.subscriptionId);
    }
  };
  const HostClient = makeClientConstructor(serviceDefinition(HOST_SERVICE), HOST_SERVICE);
  let session: Session | undefined;

  const need = (): Session => {
    if (!session) throw new HubspokeError(ErrorCode.Plugin, `plugin ${plugin.info.name} is not initialized yet`);
    return session;
  };
  const t = (): string => token;

  const impl: UntypedServiceImplementation = {
    Describe: unary(t, () => describe(plugin)),
    Health: unary(t, () => ({ serving: true, instanceId })),
    Initialize: unary(t, async (req: WireInitialize) => {
      if (req.pluginName !== plugin.info.name) {
        throw new HubspokeError(
          ErrorCode.Plugin,
          `the host names this plugin ${req.pluginName}, but it is ${plugin.info.name}`,
        );
      }
      session?.channel.close();
      const channel = new HostClient(req.hostAddress, credentials.createInsecure());
      const calls = new HostCalls(channel, token, req.hostAddress, callTimeoutMs);
      const abort = new AbortController();
      table.handlers.clear();
      const ctx: Context = Object.freeze({
        runtime: req.runtime as Runtime,
        nodeId: req.nodeId,
        namespace: req.namespace === '' ? undefined : req.namespace,
        plugin: plugin.info,
        services: remoteServices(calls, table, req.runtime),
        signal: abort.signal,
      });
      session = { ctx, abort, channel };
      await plugin.initialize(ctx, (fromJson(req.configJson) ?? {}) as Record<string, unknown>);
      return {};
    }),
    SessionReady: unary(t, async () => {
      const s = need();
      if (!capabilities.isSessionAware(plugin)) throw new HubspokeError(ErrorCode.NotSupported, 'no onSessionReady');
      await plugin.onSessionReady(s.ctx);
      return {};
    }),
    SessionClosing: unary(t, async () => {
      const s = need();
      if (capabilities.isSessionAware(plugin) && plugin.onSessionClosing) await plugin.onSessionClosing(s.ctx);
      return {};
    }),
    DeliverEvent: unary(t, async (req: WireEventDelivery, call) => {
      need();
      await runDelivery(req, call);
      return {};
    }),
    DeliverEvents: unary(t, async (req: { deliveries: WireEventDelivery[] }, call) => {
      need();
      for (const d of req.deliveries) {
        if (call.cancelled) break;
        await runDelivery(d, call);
      }
      return {};
    }),
    AcceptEdgePayload: unary(t, async (req: WirePayloadDelivery) => {
      const s = need();
      if (!capabilities.isEdgePayloadReceiver(plugin))
        throw new HubspokeError(ErrorCode.NotSupported, 'not a receiver');
      const p = wirePayload(req.payload, req.deliveryCount, req.receivedUnixMs);
      const scope = { payloadId: p.id, ...(p.correlationId ? { correlationId: p.correlationId } : {}) };
      return { handled: (await deliveryScope.run(scope, () => plugin.acceptEdgePayload(s.ctx, p))) === true };
    }),
    ExecuteScheduledTask: unary(t, async (req: WireScheduledTask) => {
      const s = need();
      if (!capabilities.isSchedulerPlugin(plugin)) throw new HubspokeError(ErrorCode.NotSupported, 'not a scheduler');
      const sch = req.schedule;
      await plugin.executeScheduledTask(s.ctx, {
        id: sch.id,
        cron: sch.cron,
        ...(sch.timeoutMs ? { timeoutMs: sch.timeoutMs } : {}),
        tickAt: new Date(Number(req.tickUnixMs) || Date.now()),
      });
      return {};
    }),
    ConfigChange: unary(t, async (req: WireConfigChange) => {
      const s = need();
      if (!capabilities.isConfigChangeHandler(plugin))
        throw new HubspokeError(ErrorCode.NotSupported, 'no onConfigChange');
      await plugin.onConfigChange(s.ctx, {
        key: req.key,
        value: fromJson(req.valueJson),
        revision: req.revision,
        deleted: req.deleted,
      });
      return {};
    }),
    ObjectChange: unary(t, async (req: WireObjectChange): Promise<WireObjectChangeReply> => {
      const s = need();
      if (!capabilities.isObjectHookHandler(plugin))
        throw new HubspokeError(ErrorCode.NotSupported, 'no onObjectChange');
      const change: ObjectChange = {
        operation: req.operation === 'delete' ? 'delete' : 'put',
        key: req.key,
        ...(req.namespace ? { namespace: req.namespace } : {}),
        ...(req.hasValue ? { value: fromJson(req.valueJson) } : {}),
      };
      const r = await plugin.onObjectChange(s.ctx, change);
      return { allow: r.allow, hasValue: r.value !== undefined, valueJson: toJson(r.value), reason: r.reason ?? '' };
    }),
    GetUIManifest: unary(t, async () => {
      if (!capabilities.isUIProvider(plugin)) throw new HubspokeError(ErrorCode.NotSupported, 'not a UIProvider');
      return { manifestJson: JSON.stringify(await plugin.getUIManifest()) };
    }),
    GetAsset: unary(t, async (req: { path: string }) => {
      if (!capabilities.isUIProvider(plugin)) throw new HubspokeError(ErrorCode.NotSupported, 'not a UIProvider');
      const a = await plugin.getAsset(req.path);
      return a ? { found: true, body: a.body, contentType: a.contentType } : { found: false };
    }),
    HandleRPC: unary(t, async (req: { method: string; payloadJson: string }) => {
      const s = need();
      if (!capabilities.isUIProvider(plugin)) throw new HubspokeError(ErrorCode.NotSupported, 'not a UIProvider');
      return { resultJson: toJson(await plugin.handleRPC(s.ctx, req.method, fromJson(req.payloadJson))) };
    }),
    Gateway: gatewayStreamHandler(plugin, t, () => need().ctx),
    Shutdown: unary(t, async () => {
      const s = need();
      s.abort.abort(new HubspokeError(ErrorCode.Closed, `plugin ${plugin.info.name} is shutting down`));
      await plugin.shutdown(s.ctx);
      return {};
    }),
  };

  const server = new Server();
  server.addService(serviceDefinition(PLUGIN_SERVICE), impl);
  const listen = opts.listen ?? process.env[PLUGIN_ENV.listen] ?? '127.0.0.1:0';
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(listen, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const address = listen.startsWith('unix:') ? listen : `${listen.slice(0, listen.lastIndexOf(':'))}:${port}`;
  const close = async (): Promise<void> => {
    session?.channel.close();
    await new Promise<void>((r) => server.tryShutdown(() => r()));
  };

  if (hostAddress) {
    if (opts.exitWithHost ?? true) {
      // The host holds our stdin open; when it ends, the host is gone (even killed) and so is our reason to run.
      process.stdin.on('end', () => process.exit(0)).on('error', () => process.exit(0));
      process.stdin.resume();
    }
    const Ctor = makeClientConstructor(serviceDefinition(HOST_SERVICE), HOST_SERVICE);
    const c = new Ctor(hostAddress, credentials.createInsecure());
    try {
      await callUnary(
        c,
        'Register',
        { address, protocol: PLUGIN_PROTOCOL, pid: process.pid },
        token,
        callTimeoutMs,
        true,
      );
    } catch (err) {
      await close();
      throw fromServiceError(
        err as ServiceError,
        ErrorCode.NotConnected,
        `registering with the host at ${hostAddress}`,
      );
    } finally {
      c.close();
    }
  }
  return { address, close };
}
