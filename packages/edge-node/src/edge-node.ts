import { join } from 'node:path';
import { Runtime, type EventsService, type Limits } from '@hubspoke/sdk';
import {
  commonOptionsShape, nameSchema, parseConfig, startNode, subjects, type HostTimeouts, type HubspokeNode,
  type LogOptions, type PluginSpec,
} from '@hubspoke/runtime';
import type { Logger as Pino } from 'pino';
import { z } from 'zod';
import { openEdgeKv, type EdgeKvMode } from './edge-kv.js';

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
}

/** The zod schema of {@link EdgeNodeOptions}. */
export const edgeNodeOptionsSchema = z
  .object({
    ...commonOptionsShape,
    edgeId: nameSchema,
    namespace: nameSchema,
    stateDir: z.string().min(1).optional(),
    kv: z.enum(['auto', 'jetstream', 'file']).default('auto'),
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
  /** Stops handlers, shuts plugins down, drains NATS; resolves when nothing is left running. */
  close(): Promise<void>;
}

/** Starts an edge node; resolves once connected and every plugin's `onSessionReady` has run. */
export async function startEdgeNode(options: EdgeNodeOptions): Promise<EdgeNode> {
  const o = parseConfig(edgeNodeOptionsSchema, options, 'edge node');
  const stateDir = o.stateDir ?? join('.hubspoke', o.edgeId);
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
    openKv: (nc, log) => openEdgeKv(nc, log, o.kv, stateDir),
  });
  return {
    edgeId: o.edgeId,
    namespace: o.namespace,
    node,
    events: node.eventsFor('edge'),
    close: () => node.close(),
  };
}
