import {
  ErrorCode,
  HubspokeError,
  Runtime,
  type ControlConfigService,
  type EventsService,
  type Limits,
} from '@hubspoke/sdk';
import {
  JetStreamKV,
  commonOptionsShape,
  ensureKvBucket,
  parseConfig,
  replicasSchema,
  startNode,
  startNodeMetrics,
  type HostTimeouts,
  type HubspokeNode,
  type LogOptions,
  type MetricsOptions,
  type PluginSpec,
  type TlsFiles,
} from '@hubspoke/runtime';
import type { Logger as Pino } from 'pino';
import { z } from 'zod';
import { createAdminOps, type AdminOps } from './admin/operations.js';
import { startAdminServer, type AdminServer } from './admin/server.js';
import { adminTokenSchema, generateAdminToken } from './admin/token.js';
import { startConsoleServer, type ConsoleServer } from './console/server.js';
import { openConfig, type ConfigParts } from './config/setup.js';
import { GatewayTelemetryReceiver } from './gateway/telemetry-receiver.js';
import { addControlMetrics } from './metrics.js';
import { openEdgeRegistry, type EdgesHandle, type RegistryParts } from './registry/setup.js';
import {
  openPayloadDispatch,
  payloadOptionsSchema,
  type PayloadDispatch,
  type PayloadOptions,
} from './payloads/setup.js';
import { openScheduler, type SchedulerParts } from './scheduler/setup.js';
import type { StateOptions } from './state.js';

/** Options of {@link startControlPlane}. */
export interface ControlPlaneOptions {
  /** The hub's NATS URL(s). */
  natsUrl: string | string[];
  /** Plugins in load order: instances, classes, module paths, or `{ plugin, config }`. @default [] */
  plugins?: PluginSpec[];
  /** Path of the control plane's nkey seed file (`hubspoke auth init` writes it). @default none (no authentication) */
  credentials?: string;
  /** TLS to the hub: `ca` verifies its certificate; `cert` and `key` for mutual TLS. @default none */
  tls?: TlsFiles;
  /** A pino logger, or options of the one to create. @default pino to stdout, level HUBSPOKE_LOG_LEVEL or info */
  log?: LogOptions | Pino;
  /** Publishing limits. @default DEFAULT_LIMITS */
  limits?: Partial<Limits>;
  /** Events a subscription holds while its handler is busy. @default 1024 */
  queueSize?: number;
  /** How long to try the first connection. @default 30000 */
  connectTimeoutMs?: number;
  /** Plugin lifecycle timeouts. @default 10000 each */
  timeouts?: Partial<HostTimeouts>;
  /** The JetStream KV bucket of the plugins' KV at the hub. @default 'hs-kv' */
  kvBucket?: string;
  /** Edge payloads: retention (the replay window), dedup, retries, dead letters. `replicas` here is deprecated. */
  payloads?: Partial<PayloadOptions>;
  /**
   * What the control plane keeps in JetStream. `replicas` (1, 3 or 5) applies to every stream and KV bucket it
   * creates; one that exists with more keeps them (never lowered). docs/cluster.md.
   * @default { replicas: 1 } (or the deprecated `payloads.replicas` when only that is given)
   */
  jetstream?: { replicas?: 1 | 3 | 5 };
  /**
   * The admin gRPC API (proto/hubspoke/v1/admin.proto): edges, config, payloads, replay, dead letters. Every
   * call must carry `token` (`authorization: Bearer <token>`), else UNAUTHENTICATED; the console logs in with the
   * same token. `listen` is `host:port`; port 0 picks a free one. `tls` serves it over TLS (PEM files).
   * @default none (no admin server); `listen` defaults to '127.0.0.1:0'; `token` to a random one (`cp.admin.token`)
   */
  admin?: { listen?: string; token?: string; tls?: { cert: string; key: string } };
  /**
   * The ops console over HTTP (docs/console.md); needs `admin`, whose token is its login. `listen` is `host:port`.
   * @default none (no console); `listen` defaults to '127.0.0.1:0' (loopback)
   */
  console?: { listen?: string };
  /** Serve `/metrics`, `/healthz` and `/readyz` over HTTP. @default none; `listen` defaults to '127.0.0.1:0' */
  metrics?: MetricsOptions;
}

/** The zod schema of {@link ControlPlaneOptions}. */
export const controlPlaneOptionsSchema = z
  .object({
    ...commonOptionsShape,
    kvBucket: z
      .string()
      .regex(/^[\w-]{1,64}$/)
      .default('hs-kv'),
    payloads: payloadOptionsSchema,
    jetstream: z.object({ replicas: replicasSchema.optional() }).strict().optional(),
    admin: z
      .object({
        listen: z.string().min(1).default('127.0.0.1:0'),
        token: adminTokenSchema.optional(),
        tls: z
          .object({ cert: z.string().min(1), key: z.string().min(1) })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    console: z
      .object({ listen: z.string().min(1).default('127.0.0.1:0') })
      .strict()
      .optional(),
  })
  .strict();

/** A running control plane. */
export interface ControlPlane {
  readonly nodeId: 'control';
  /** The node underneath: NATS connection, bus, counters (for tools and tests). */
  readonly node: HubspokeNode;
  /** An Events service for code outside plugins (tools, tests), publishing as `plugin:control@control`. */
  readonly events: EventsService;
  /** Edge payload dispatch: counters, and whether this replica dispatches (it does when a receiver is loaded). */
  readonly payloads: PayloadDispatch;
  /** The admin API's bound address and the token its calls need, when `admin` was given. */
  readonly admin: { address: string; token: string } | undefined;
  /** The edge registry: every edge heard from, its state judged from missed heartbeats. */
  readonly edges: EdgesHandle;
  /** The config store: objects by namespace and global, pushed to the edges that should see them. */
  readonly config: ControlConfigService;
  /** The metrics endpoint's bound address, when `metrics` was given. */
  readonly metrics: { address: string } | undefined;
  /** The ops console's bound address (`host:port`), when `console` was given. */
  readonly console: { address: string } | undefined;
  /** Stops handlers, shuts plugins down, drains NATS; resolves when nothing is left running. */
  close(): Promise<void>;
}

/** Starts a control plane; resolves once connected and every plugin's `onSessionReady` has run. */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const o = parseConfig(controlPlaneOptionsSchema, options, 'control plane');
  const adminToken = o.admin ? (o.admin.token ?? generateAdminToken()) : undefined;
  if (o.console && adminToken === undefined) {
    throw new HubspokeError(
      ErrorCode.ConfigInvalid,
      'control plane configuration is invalid: console: needs admin.token (the console logs in with the admin token)',
    );
  }
  const replicas = o.jetstream?.replicas ?? o.payloads.replicas ?? 1;
  const js = (log: Pino): StateOptions => ({ replicas, log });
  let payloads: PayloadDispatch | undefined;
  let admin: AdminServer | undefined;
  let ops: AdminOps | undefined;
  let registry: RegistryParts | undefined;
  let config: ConfigParts | undefined;
  let schedulerParts: SchedulerParts | undefined;
  // Built in and first: gateway telemetry from edges goes to this control plane's DataCollectors.
  const telemetry = new GatewayTelemetryReceiver();
  const node = await startNode({
    identity: { runtime: Runtime.Control, nodeId: 'control', namespace: undefined },
    servers: o.natsUrl,
    credentials: o.credentials,
    tls: o.tls,
    plugins: [telemetry, ...(o.plugins as PluginSpec[])],
    log: o.log as LogOptions | Pino | undefined,
    limits: o.limits as Partial<Limits> | undefined,
    queueSize: o.queueSize,
    connectTimeoutMs: o.connectTimeoutMs,
    timeouts: o.timeouts as Partial<HostTimeouts> | undefined,
    setup: async (ctx) => {
      if (o.jetstream?.replicas !== undefined && o.payloads.replicas !== undefined) {
        ctx.log.warn(
          { replicas, ignored: o.payloads.replicas },
          'payloads.replicas is deprecated: jetstream.replicas wins',
        );
      }
      const state = js(ctx.log);
      const bucket = await ensureKvBucket(ctx.nc, o.kvBucket, state);
      payloads = await openPayloadDispatch(ctx, { ...o.payloads, replicas });
      const p = payloads;
      const c = (config = await openConfig(ctx, state));
      const r = (registry = await openEdgeRegistry(ctx, c, state, (id) => p.forgetSource(id)));
      const scheduler = (schedulerParts = await openScheduler(ctx, state));
      return {
        kv: (plugin) => new JetStreamKV(bucket, plugin),
        services: () => ({ control: r.control }),
        ready: async () => {
          c.store.start();
          await r.start();
          telemetry.bind(ctx.host, ctx.log.child({ component: 'gateway-telemetry' }));
          await p.start();
          scheduler.start();
          if (o.admin || o.console) {
            ops = await createAdminOps({
              nc: ctx.nc,
              host: ctx.host,
              limits: ctx.limits,
              log: ctx.log,
              offerTimeoutMs: o.payloads.offerTimeoutMs,
              edges: () => r.control.edges.list(),
              forgetEdge: (id) => r.edges.forget(id),
              config: c.service,
            });
          }
          if (o.admin && ops) {
            admin = await startAdminServer({
              listen: o.admin.listen,
              token: adminToken as string,
              tls: o.admin.tls,
              ops,
              log: ctx.log,
            });
          }
        },
        stopping: async () => {
          await scheduler.stop();
          await admin?.close();
          ops?.close();
          await r.stop();
          c.store.stop();
          await p.stop();
        },
        close: async () => p.close(),
      };
    },
  });
  const edges = (registry as RegistryParts).edges;
  const metrics = o.metrics
    ? await startNodeMetrics(node, o.metrics, (m) =>
        addControlMetrics(
          m,
          payloads as PayloadDispatch,
          edges,
          (config as ConfigParts).store,
          (schedulerParts as SchedulerParts).counters,
        ),
      ).catch(async (err: unknown) => {
        await node.close();
        throw err;
      })
    : undefined;
  let consoleServer: ConsoleServer | undefined;
  if (o.console && ops) {
    // Started last, after metrics: the flow view takes dispatch latencies beside the metrics histogram.
    const p = payloads as PayloadDispatch;
    try {
      consoleServer = await startConsoleServer({
        listen: o.console.listen,
        token: adminToken as string,
        ops,
        host: node.host,
        flow: { events: node.counters, dispatch: p.counters },
        log: node.log,
      });
    } catch (err) {
      await metrics?.close();
      await node.close();
      throw err;
    }
    const metricsLatency = p.onLatency;
    const cs = consoleServer;
    p.onLatency = (s) => {
      metricsLatency?.(s);
      cs.latency(s);
    };
  }
  return {
    nodeId: 'control',
    node,
    events: node.eventsFor('control'),
    payloads: payloads as PayloadDispatch,
    admin: admin ? { address: admin.address, token: adminToken as string } : undefined,
    edges,
    config: (config as ConfigParts).service,
    metrics: metrics ? { address: metrics.address } : undefined,
    console: consoleServer ? { address: consoleServer.address } : undefined,
    close: async () => {
      await consoleServer?.close();
      await metrics?.close();
      await node.close();
    },
  };
}
