import { join } from 'node:path';
import { Runtime, type EventsService, type Limits } from '@hubspoke/sdk';
import {
  commonOptionsShape, nameSchema, parseConfig, startNode, subjects, type HostTimeouts, type HubspokeNode,
  type LogOptions, type PluginSpec,
} from '@hubspoke/runtime';
import type { Logger as Pino } from 'pino';
import { z } from 'zod';
import { localJetStreamDomain, openEdgeKv, type EdgeKvMode } from './edge-kv.js';
import { openEdgePayloads, type EdgePayloads } from './payloads/setup.js';

/** Options of {@link startEdgeNode}. */
export interface EdgeNodeOptions {
  /** The hub's NATS URL, or the site's leaf node when the edge uses one. */
  natsUrl: string | string[];
  /** This edge's id, unique across namespaces. */
  edgeId: string;
  /** This edge's namespace. */
  namespace: string;
  /** Plugins in load order: instances, classes, module paths, or `{ plugin, config }`. @default [] */
  plugins?: PluginSpec[];
  /** Path of the edge's nkey seed file. @default none */
  credentials?: string;
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
}

/** The zod schema of {@link EdgeNodeOptions}. */
export const edgeNodeOptionsSchema = z
  .object({
    ...commonOptionsShape,
    edgeId: nameSchema,
    namespace: nameSchema,
    stateDir: z.string().min(1).optional(),
    kv: z.enum(['auto', 'jetstream', 'file']).default('auto'),
    outbox: z
      .object({
        maxMessages: z.number().int().min(1).max(100_000_000).default(100_000),
        maxBytes: z.number().int().min(1024).default(1024 * 1024 * 1024),
      })
      .strict()
      .default({ maxMessages: 100_000, maxBytes: 1024 * 1024 * 1024 }),
    sendWaitMs: z.number().int().min(0).max(3_600_000).default(30_000),
  })
  .strict();

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
  /** Stops handlers, shuts plugins down, drains NATS; resolves when nothing is left running. */
  close(): Promise<void>;
}

/** Starts an edge node; resolves once connected and every plugin's `onSessionReady` has run. */
export async function startEdgeNode(options: EdgeNodeOptions): Promise<EdgeNode> {
  const o = parseConfig(edgeNodeOptionsSchema, options, 'edge node');
  const stateDir = o.stateDir ?? join('.hubspoke', o.edgeId);
  let payloads: EdgePayloads | undefined;
  const node = await startNode({
    identity: { runtime: Runtime.Edge, nodeId: o.edgeId, namespace: o.namespace },
    servers: o.natsUrl,
    credentials: o.credentials,
    inboxPrefix: subjects.inboxPrefix(o.namespace, o.edgeId),
    plugins: o.plugins as PluginSpec[],
    log: o.log as LogOptions | Pino | undefined,
    limits: o.limits as Partial<Limits> | undefined,
    queueSize: o.queueSize,
    connectTimeoutMs: o.connectTimeoutMs,
    timeouts: o.timeouts as Partial<HostTimeouts> | undefined,
    setup: async (ctx) => {
      const domain = await localJetStreamDomain(ctx.nc);
      const kv = await openEdgeKv(ctx.nc, ctx.log, o.kv, stateDir, domain);
      payloads = await openEdgePayloads(ctx, o.edgeId, o.namespace, domain, o.outbox, o.sendWaitMs);
      const p = payloads;
      return { kv, services: (plugin) => ({ edge: p.service(plugin) }), close: () => p.close() };
    },
  });
  return {
    edgeId: o.edgeId,
    namespace: o.namespace,
    node,
    events: node.eventsFor('edge'),
    payloadMode: (payloads as EdgePayloads).mode,
    pendingPayloads: () => payloads?.pending() ?? 0,
    close: () => node.close(),
  };
}
