import type { Direction, Runtime } from './direction.js';
import type { EventsService } from './events.js';

/** Options of `kv.put`. */
export interface KVPutOptions {
  /** Time to live in milliseconds; after it the key reads as absent. @default no expiry */
  ttlMs?: number;
}

/** Key-value storage scoped to one plugin: `ctx.services.kv`. Keys use `[A-Za-z0-9_-./=]`. */
export interface KVService {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, value: Uint8Array | string, opts?: KVPutOptions): Promise<void>;
  /** Resolves to whether the key existed. */
  delete(key: string): Promise<boolean>;
  /** Keys that start with `prefix` (all keys for `''`), sorted. */
  list(prefix?: string): Promise<string[]>;
}

/** The narrow logger plugins get; pino underneath, each line bound to node, plugin and current event. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Options of `sendToControl`. */
export interface SendOptions {
  correlationId?: string;
  metadata?: Record<string, string>;
}

/** What `sendToControl` resolves to. */
export interface SendResult {
  /** The payload's id. */
  id: string;
  /** Payloads accepted by this edge and not yet acknowledged by the hub. */
  pending: number;
}

/** A config object as stored at the control plane. */
export interface ConfigEntry {
  key: string;
  value: unknown;
  revision: number;
}

/** A change to the config an edge sees, given to `onConfigChange`. */
export interface ConfigChange {
  key: string;
  value: unknown;
  revision: number;
  /** True when the key is gone for this edge. */
  deleted: boolean;
}

/** The edge's view of its config: global objects overlaid by its namespace's. */
export interface EdgeConfigView {
  get(key: string): Promise<unknown>;
  list(): Promise<ConfigEntry[]>;
}

/** Edge-only services: `ctx.services.edge`. */
export interface EdgeService {
  /** Sends a payload to the control plane; resolves once it is durable at the edge. */
  sendToControl(payload: Uint8Array | object, opts?: SendOptions): Promise<SendResult>;
  readonly config: EdgeConfigView;
}

/** Options naming a config scope: a namespace, or global when absent. */
export interface ConfigScope {
  namespace?: string;
}

/** The control plane's config store. */
export interface ControlConfigService {
  put(key: string, value: unknown, opts?: ConfigScope): Promise<number>;
  get(key: string, opts?: ConfigScope): Promise<unknown>;
  delete(key: string, opts?: ConfigScope): Promise<boolean>;
  list(opts?: ConfigScope & { prefix?: string }): Promise<ConfigEntry[]>;
}

/** What the control plane knows of an edge. */
export interface EdgeInfo {
  edgeId: string;
  namespace: string;
  state: 'online' | 'stale' | 'offline';
  firstSeen: Date;
  lastSeen: Date;
  version: string;
  appliedRevision: number;
  latestRevision: number;
  outboxDepth: number;
  reconnects: number;
  lastError?: string;
}

/** Control-plane-only services: `ctx.services.control`. */
export interface ControlService {
  readonly config: ControlConfigService;
  readonly edges: { list(): Promise<EdgeInfo[]> };
}

/** The services a plugin gets. `edge` exists on edges only, `control` on the control plane only. */
export interface Services {
  readonly events: EventsService;
  readonly kv: KVService;
  readonly logger: Logger;
  readonly edge?: EdgeService;
  readonly control?: ControlService;
}

/** The name and version of a plugin. */
export interface PluginInfo {
  name: string;
  version: string;
  description?: string;
}

/** What every plugin call receives. */
export interface Context {
  readonly runtime: Runtime;
  /** `control` on the control plane, the edge id on an edge. */
  readonly nodeId: string;
  /** The edge's namespace; undefined on the control plane. */
  readonly namespace: string | undefined;
  readonly plugin: Readonly<PluginInfo>;
  readonly services: Services;
  /** Aborted when the plugin is shutting down. */
  readonly signal: AbortSignal;
}

export type { Direction };
