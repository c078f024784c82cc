import { join } from 'node:path';
import { ErrorCode, HubspokeError, Runtime, type EventsService, type Limits } from '@hubspoke/sdk';
import {
  Backoff,
  commonOptionsShape,
  createRootLogger,
  nameSchema,
  parseConfig,
  serversSchema,
  startNode,
  startNodeMetrics,
  subjects,
  tlsSchema,
  type HostTimeouts,
  type HubspokeNode,
  type LogOptions,
  type MetricsOptions,
  type PluginSpec,
  type TlsFiles,
} from '@hubspoke/runtime';
import type { Logger as Pino } from 'pino';
import { z } from 'zod';
import { localJetStreamDomain, openEdgeKv, type EdgeKvMode } from './edge-kv.js';
import { EdgeConfig } from './config/sync.js';
import { DownTracker } from './durable-down.js';
import { Gateway } from './gateway/gateway.js';
import { addGatewayMetrics } from './gateway/metrics.js';
import { gatewayOptionsSchema, type GatewayOptions } from './gateway/options.js';
import { Heartbeat } from './heartbeat.js';
import { startManagedLeaf, type ManagedLeaf } from './leaf.js';
import { openEdgePayloads, type EdgePayloads } from './payloads/setup.js';

/** Options of {@link startEdgeNode}. */
export interface EdgeNodeOptions {
  /** The hub's NATS URL, or the site's leaf node when the edge uses one. Give this or `leaf`. */
  natsUrl?: string | string[];
  /**
   * Start and supervise a leaf nats-server of this edge's own (JetStream domain `edge-<edgeId>`) that dials the
   * hub's leafnode port: the outbox and KV live there, so payloads survive hub outages and edge restarts.
   * Give this or `natsUrl`. `credentials` (default: the edge's own `credentials`) authenticates the leaf's link.
   * @default none
   */
  leaf?: { hubUrl: string | string[]; storeDir?: string; credentials?: string; tls?: TlsFiles; bin?: string };
  /** This edge's id, unique across namespaces. */
  edgeId: string;
  /** This edge's namespace. */
  namespace: string;
  /** Plugins in load order: instances, classes, module paths, or `{ plugin, config }`. @default [] */
  plugins?: PluginSpec[];
  /** Path of the edge's nkey seed file (`hubspoke edge add` issues it). @default none */
  credentials?: string;
  /**
   * TLS to the hub: `ca` verifies its certificate; `cert` and `key` for mutual TLS. Through a managed leaf, the
   * leaf's link to the hub uses it (the edge reaches its leaf over loopback). @default none
   */
  tls?: TlsFiles;
  /** Where the edge keeps local state (file KV when it has no JetStream of its own). @default `.hubspoke/<edgeId>` */
  stateDir?: string;
  /** Where plugin KV lives. @default 'auto' (the leaf's JetStream if there is one, else files in stateDir) */
  kv?: EdgeKvMode;
  /** A pino logger, or options of the one to create. @default pino to stdout */
  log?: LogOptions | Pino;
  /** Publishing limits. @default DEFAULT_LIMITS */
  limits?: Partial<Limits>;
  /** Events a subscription holds while its handler is busy. @default 1024 */
  queueSize?: number;
  /** How long to try the first connection. @default 30000 */
  connectTimeoutMs?: number;
  /** Plugin lifecycle timeouts. @default 10000 each */
  timeouts?: Partial<HostTimeouts>;
  /** Bounds of the edge outbox (through a leaf); when full, `sendToControl` fails with `HS_ERR_OUTBOX_FULL`. @default 100000 payloads, 1 GiB */
  outbox?: { maxMessages?: number; maxBytes?: number };
  /** Connected straight to the hub: how long `sendToControl` waits through an outage. @default 30000 */
  sendWaitMs?: number;
  /** Heartbeat interval, 100–60000 ms; the control plane marks the edge stale after 2.5 and offline after 3.5. @default 5000 */
  heartbeatMs?: number;
  /** Serve `/metrics`, `/healthz` and `/readyz` over HTTP. @default none; `listen` defaults to '127.0.0.1:0' */
  metrics?: MetricsOptions;
  /**
   * Through a managed leaf whose link to the hub is up: how long start waits for a control plane to answer
   * before it fails with `HS_ERR_NO_CONTROL_PLANE` (nothing this edge sends would arrive). A leaf without
   * credentials fails after the first 5 s: it joined the hub's global account `$G`, where no control plane is.
   * 0 turns the check off. An edge whose hub is down is never stopped (it starts from its last-known-good config).
   * @default 30000
   */
  controlPlaneWaitMs?: number;
  /**
   * Serve HTTP as a gateway (docs/gateway.md): routes, apps and users from the synced config, request-path plugins
   * in front of upstreams, telemetry to the control plane. @default none; `listen` defaults to '127.0.0.1:0'
   */
  gateway?: GatewayOptions;
}

/** The zod schema of {@link EdgeNodeOptions}. */
export const edgeNodeOptionsSchema = z
  .object({
    ...commonOptionsShape,
    natsUrl: serversSchema.optional(),
    leaf: z
      .object({
        hubUrl: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
        storeDir: z.string().min(1).optional(),
        credentials: z.string().min(1).optional(),
        tls: tlsSchema.optional(),
        bin: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    edgeId: nameSchema,
    namespace: nameSchema,
    stateDir: z.string().min(1).optional(),
    kv: z.enum(['auto', 'jetstream', 'file']).default('auto'),
    outbox: z
      .object({
        maxMessages: z.number().int().min(1).max(100_000_000).default(100_000),
        maxBytes: z
          .number()
          .int()
          .min(1024)
          .default(1024 * 1024 * 1024),
      })
      .strict()
      .default({ maxMessages: 100_000, maxBytes: 1024 * 1024 * 1024 }),
    sendWaitMs: z.number().int().min(0).max(3_600_000).default(30_000),
    heartbeatMs: z.number().int().min(100).max(60_000).default(5000),
    controlPlaneWaitMs: z.number().int().min(0).max(3_600_000).default(30_000),
    gateway: gatewayOptionsSchema.optional(),
  })
  .strict();

const checkedSchema = edgeNodeOptionsSchema.refine((o) => (o.natsUrl === undefined) !== (o.leaf === undefined), {
  message: 'give either natsUrl (the hub, or a leaf you run) or leaf (a leaf this edge starts), not both or neither',
  path: ['natsUrl'],
});

/** A running edge node. */
export interface EdgeNode {
  readonly edgeId: string;
  readonly namespace: string;
  /** The node underneath: NATS connection, bus, counters (for tools and tests). */
  readonly node: HubspokeNode;
  /** An Events service for code outside plugins (tools, tests), publishing as `plugin:edge@<edgeId>`. */
  readonly events: EventsService;
  /** How payloads leave: through the leaf's outbox, or straight to the hub. */
  readonly payloadMode: 'outbox' | 'direct';
  /** Payloads accepted by `sendToControl` and not yet acknowledged by the hub. */
  pendingPayloads(): number;
  /** The leaf this edge started, when it was given `leaf`. */
  readonly leaf: ManagedLeaf | undefined;
  /** The metrics endpoint's bound address, when `metrics` was given. */
  readonly metrics: { address: string } | undefined;
  /** The gateway, when `gateway` was given: its bound `host:port`, counters and telemetry queue. */
  readonly gateway: Gateway | undefined;
  /** Stops handlers, shuts plugins down, drains NATS; resolves when nothing is left running. */
  close(): Promise<void>;
}

/**
 * The leaf is linked to the hub but no control plane answered: without credentials the leaf sits in the hub's
 * `$G` account, where none ever will; with them, wait up to `waitMs` (a control plane restarting) before failing.
 * @throws HubspokeError `HS_ERR_NO_CONTROL_PLANE` naming `--creds`
 */
async function awaitControlPlane(
  config: EdgeConfig,
  leaf: ManagedLeaf,
  edgeId: string,
  namespace: string,
  credentials: string | undefined,
  waitMs: number,
): Promise<void> {
  const issue = `hubspoke edge add ${edgeId} --namespace ${namespace} --dir D writes D/edges/${edgeId}.nk`;
  if (credentials === undefined) {
    throw new HubspokeError(
      ErrorCode.NoControlPlane,
      `edge ${edgeId}: its leaf node reached the hub but no control plane answers: without credentials the leaf ` +
        `joins the hub's global account $G, where a hub with authorization has nothing; give the edge its nkey seed ` +
        `with --creds (${issue}); the leaf's log: ${leaf.logFile}`,
    );
  }
  const deadline = Date.now() + waitMs;
  // "No responders" comes back at once: the probes back off (100 ms doubling to 1 s) instead of spinning.
  const backoff = new Backoff({ initialMs: 100, maxMs: 1000 });
  while (Date.now() < deadline) {
    if (await config.probe(Math.min(5000, Math.max(100, deadline - Date.now())))) {
      void config.sync();
      return;
    }
    if (!leaf.hubLinked()) return; // the hub went away meanwhile: last-known-good, as for a hub that is down
    await backoff.wait();
  }
  throw new HubspokeError(
    ErrorCode.NoControlPlane,
    `edge ${edgeId}: no control plane answered in ${waitMs} ms although its leaf is linked to the hub: is one running ` +
      `on this hub, and are --creds this edge's (${issue})? The leaf's log: ${leaf.logFile}`,
  );
}

/** Starts an edge node; resolves once connected and every plugin's `onSessionReady` has run. */
export async function startEdgeNode(options: EdgeNodeOptions): Promise<EdgeNode> {
  const o = parseConfig(checkedSchema, options, 'edge node');
  const stateDir = o.stateDir ?? join('.hubspoke', o.edgeId);
  let payloads: EdgePayloads | undefined;
  let edgeConfig: EdgeConfig | undefined;
  let leaf: ManagedLeaf | undefined;
  let gateway: Gateway | undefined;
  if (o.leaf) {
    const l = o.leaf;
    const log =
      o.log && typeof (o.log as Pino).child === 'function'
        ? (o.log as Pino).child({ node: o.edgeId, component: 'leaf' })
        : createRootLogger(o.edgeId, o.log as LogOptions | undefined).child({ component: 'leaf' });
    leaf = await startManagedLeaf({
      edgeId: o.edgeId,
      hubUrl: l.hubUrl,
      storeDir: l.storeDir ?? join(stateDir, 'leaf'),
      log,
      // The leaf's link to the hub carries the edge's traffic: by default it authenticates as the edge.
      ...((l.credentials ?? o.credentials) === undefined
        ? {}
        : { credentials: (l.credentials ?? o.credentials) as string }),
      ...((l.tls ?? o.tls) === undefined ? {} : { tls: (l.tls ?? o.tls) as TlsFiles }),
      ...(l.bin === undefined ? {} : { bin: l.bin }),
    });
  }
  const started = startNode({
    identity: { runtime: Runtime.Edge, nodeId: o.edgeId, namespace: o.namespace },
    servers: leaf?.url ?? (o.natsUrl as string | string[]),
    credentials: o.credentials,
    // Through a managed leaf, TLS is the leaf's link to the hub; the edge reaches its leaf over loopback.
    tls: leaf ? undefined : (o.tls as TlsFiles | undefined),
    inboxPrefix: subjects.inboxPrefix(o.namespace, o.edgeId),
    plugins: o.plugins as PluginSpec[],
    log: o.log as LogOptions | Pino | undefined,
    limits: o.limits as Partial<Limits> | undefined,
    queueSize: o.queueSize,
    connectTimeoutMs: o.connectTimeoutMs,
    timeouts: o.timeouts as Partial<HostTimeouts> | undefined,
    setup: async (ctx) => {
      const domain = await localJetStreamDomain(ctx.nc);
      const kvs = await openEdgeKv(ctx.nc, ctx.log, o.kv, stateDir, domain);
      const kv = kvs.kv;
      payloads = await openEdgePayloads(ctx, o.edgeId, o.namespace, domain, o.outbox, o.sendWaitMs);
      const p = payloads;
      ctx.fabric.durableSink = (e) => p.appendDurable(e.data, e.id);
      const down = new DownTracker(ctx, kv('_system'), o.namespace, o.edgeId);
      await down.start();
      let reconnects = 0;
      ctx.onReconnect(() => reconnects++);
      let hb: Heartbeat | undefined;
      const config = (edgeConfig = new EdgeConfig({
        ctx,
        kv: kv('_config'),
        namespace: o.namespace,
        edgeId: o.edgeId,
        onOutcome: () => hb?.beatNow(),
      }));
      const answered = await config.start();
      if (!answered && leaf && o.controlPlaneWaitMs > 0 && leaf.hubLinked()) {
        try {
          await awaitControlPlane(config, leaf, o.edgeId, o.namespace, o.credentials, o.controlPlaneWaitMs);
        } catch (err) {
          // Nothing returned yet to close these: undo what this setup started.
          await Promise.all([config.stop(), down.stop()]);
          await p.close();
          await kvs.close();
          throw err;
        }
      }
      hb = new Heartbeat({
        nc: ctx.nc,
        log: ctx.log,
        namespace: o.namespace,
        edgeId: o.edgeId,
        heartbeatMs: o.heartbeatMs,
        outboxDepth: () => p.pending(),
        reconnects: () => reconnects,
        config,
      });
      const beat = hb;
      return {
        kv,
        services: (plugin) => ({ edge: { ...p.service(plugin), config: config.view } }),
        pluginConfig: (plugin) => config.pluginConfig(plugin),
        ready: async () => {
          config.goLive();
          if (o.gateway) {
            gateway = await Gateway.start({
              options: o.gateway,
              edgeId: o.edgeId,
              hosted: ctx.host.list(),
              config: config.view,
              onConfigChange: (fn) => config.onEffectiveChange(fn),
              send: p.service('gateway').sendToControl,
              maxPayloadBytes: ctx.limits.maxPayloadBytes,
              log: ctx.log.child({ component: 'gateway' }),
            });
          }
          await beat.start();
          await down.catchUp();
        },
        stopping: async () => {
          await gateway?.close();
          await beat.stop();
        },
        // Resolves when nothing of the edge writes any more: the config and Down trackers' writes done, then
        // every KV closed (a write after close is refused), so the state dir may be removed at once.
        close: async () => {
          await Promise.all([config.stop(), down.stop()]);
          await p.close();
          await kvs.close();
        },
      };
    },
  });
  const node = await started.catch(async (err: unknown) => {
    await leaf?.close();
    throw err;
  });
  const metrics = o.metrics
    ? await startNodeMetrics(node, o.metrics, (m) => {
        m.gauge(
          'hubspoke_outbox_depth',
          'payloads accepted by sendToControl, not yet acknowledged by the hub',
          () => payloads?.pending() ?? 0,
        );
        m.gauge(
          'hubspoke_config_applied_revision',
          'the highest config revision this edge applied',
          () => edgeConfig?.appliedRevision() ?? 0,
        );
        m.gauge(
          'hubspoke_config_rejected',
          'config changes this edge rejected that still stand (no later revision of their key)',
          () => edgeConfig?.rejectedCount() ?? 0,
        );
        if (gateway) addGatewayMetrics(m, gateway);
      }).catch(async (err: unknown) => {
        await node.close();
        await leaf?.close();
        throw err;
      })
    : undefined;
  return {
    edgeId: o.edgeId,
    namespace: o.namespace,
    node,
    events: node.eventsFor('edge'),
    payloadMode: (payloads as EdgePayloads).mode,
    pendingPayloads: () => payloads?.pending() ?? 0,
    leaf,
    metrics: metrics ? { address: metrics.address } : undefined,
    gateway,
    async close() {
      try {
        await metrics?.close();
        await node.close();
      } finally {
        await leaf?.close();
      }
    },
  };
}
