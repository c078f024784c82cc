import { gatewayCapabilities } from './gateway/capabilities.js';
import type { ConfigChange, Context, PluginInfo } from './services.js';

/** The base every plugin extends (or mirrors): a name, a version, and lifecycle hooks with empty defaults. */
export interface Plugin {
  readonly info: Readonly<PluginInfo>;
  /** Called once, with the plugin's validated config, before anything else. */
  initialize(ctx: Context, config: Record<string, unknown>): Promise<void>;
  /** Called once at stop, with `ctx.signal` already aborted. */
  shutdown(ctx: Context): Promise<void>;
}

/**
 * The class plugins extend.
 * ```ts
 * class CacheSync extends BasePlugin {
 *   constructor() { super({ name: 'cache-sync', version: '1.0.0' }); }
 * }
 * ```
 */
export abstract class BasePlugin implements Plugin {
  readonly info: Readonly<PluginInfo>;

  constructor(info: PluginInfo) {
    this.info = Object.freeze({ ...info });
  }

  async initialize(_ctx: Context, _config: Record<string, unknown>): Promise<void> {}

  async shutdown(_ctx: Context): Promise<void> {}
}

/** A payload an edge sent with `sendToControl`, as a receiver on the control plane sees it. */
export interface EdgePayload {
  id: string;
  payload: Uint8Array;
  edgeId: string;
  edgeNamespace: string;
  correlationId?: string;
  metadata: Record<string, string>;
  edgeTimestamp: Date;
  receivedTimestamp: Date;
  /** 1 on the first offer, +1 on every later offer of the same id, across restarts. */
  deliveryCount: number;
  /** Set when an operator replayed the payload: the original id and when it was replayed. */
  replay?: { of: string; at: Date };
}

/** Receives edge payloads on the control plane. Offered in load order until one returns `true`; a throw means "retry later". */
export interface EdgePayloadReceiver {
  acceptEdgePayload(ctx: Context, payload: EdgePayload): Promise<boolean>;
  /**
   * The `metadata.type` values this receiver takes. Set, it is offered only payloads of these types, and a
   * payload of a type some receiver lists goes only to the receivers that list it (in load order). Unset, it is
   * offered every payload whose type no receiver lists. Read once, when dispatch starts.
   */
  readonly payloadTypes?: readonly string[];
}

/** Provides a JSON Schema for the plugin's config; config is validated against it before `initialize`. */
export interface ConfigProvider {
  getConfigSchema(): Record<string, unknown>;
}

/** Told when the node's session with the fabric is ready, and when it closes. */
export interface SessionAware {
  /** Runs once per start, after the node's own subscriptions are live. */
  onSessionReady(ctx: Context): Promise<void>;
  onSessionClosing?(ctx: Context): Promise<void>;
}

/** Told of changes to the config this node sees (its own `plugin.<name>` key arrives validated). */
export interface ConfigChangeHandler {
  onConfigChange(ctx: Context, change: ConfigChange): Promise<void>;
}

/** A cron schedule declared in a plugin's manifest. */
export interface Schedule {
  id: string;
  /** Cron expression, UTC: five fields (minute hour day-of-month month day-of-week), or six with seconds first. */
  cron: string;
  /** @default 60000 */
  timeoutMs?: number;
}

/** A schedule as `executeScheduledTask` receives it: as declared, plus the tick this run is for. */
export interface ScheduledRun extends Schedule {
  /** The tick (UTC, a whole minute, or second in the six-field form); the same on every replica: an idempotency key. */
  readonly tickAt: Date;
}

/** A plugin's declared identity, scopes and schedules. */
export interface Manifest {
  name: string;
  version: string;
  /**
   * `events.publish:<pattern>`, `events.subscribe:<pattern>`, `kv.readwrite`, `control.send`, `config.read`,
   * `config.write`, `edges.read` (docs/plugins.md#scopes).
   */
  scopes: string[];
  schedules?: Schedule[];
}

/** Declares a manifest; a plugin with one may do only what its scopes allow. */
export interface ManifestProvider {
  getManifest(): Manifest;
}

/** Runs scheduled tasks on the control plane, at most once per tick across replicas. */
export interface SchedulerPlugin {
  /** Runs one tick of one of the manifest's schedules; must finish within its `timeoutMs`. */
  executeScheduledTask(ctx: Context, schedule: ScheduledRun): Promise<void>;
}

/** A change to a config object, offered to object hooks before it is stored. */
export interface ObjectChange {
  operation: 'put' | 'delete';
  key: string;
  namespace?: string;
  value?: unknown;
}

/** What an object hook decides. */
export interface ObjectHookResult {
  allow: boolean;
  /** A replacement value for a put. */
  value?: unknown;
  /** Why a change was refused. */
  reason?: string;
}

/** Validates, changes or rejects config objects before they are stored and pushed (control plane). */
export interface ObjectHookHandler {
  onObjectChange(ctx: Context, change: ObjectChange): Promise<ObjectHookResult>;
}

/** A page a {@link UIProvider} adds to the ops console. */
export interface UIPage {
  /** Where it shows, under `/plugins/<name>`: `'/'` is `/plugins/<name>/`. */
  path: string;
  /** Its title in the console's menu. */
  title: string;
  /** The asset path of the page's HTML document (what `getAsset` is asked for). */
  entry: string;
}

/** What a {@link UIProvider} adds to the ops console. */
export interface UIManifest {
  /** The plugin's heading in the console's menu. */
  title: string;
  pages: UIPage[];
  /** The methods its pages may call through `window.hubspoke.rpc`; any other is refused (403). @default [] */
  rpc?: string[];
}

/** A file a {@link UIProvider} serves to its pages. */
export interface UIAsset {
  body: Uint8Array;
  contentType: string;
}

/**
 * Adds pages to the control plane's ops console (docs/console.md). They run in a sandboxed frame, load their files
 * from `getAsset`, and reach the plugin only through `handleRPC`, for the methods the manifest lists.
 */
export interface UIProvider {
  getUIManifest(): UIManifest | Promise<UIManifest>;
  /** A file of the plugin's pages by its path (`index.html`, `app.js`); undefined: 404. */
  getAsset(path: string): Promise<UIAsset | undefined>;
  /** Answers `window.hubspoke.rpc(method, payload)` from one of its pages; the result is sent back as JSON. */
  handleRPC(ctx: Context, method: string, payload: unknown): Promise<unknown>;
}

function hasFn(p: unknown, name: string): boolean {
  return typeof p === 'object' && p !== null && typeof (p as Record<string, unknown>)[name] === 'function';
}

/** Type guards the hosts use to find a plugin's capabilities (no `instanceof`). */
export const capabilities = {
  isPlugin: (p: unknown): p is Plugin =>
    typeof p === 'object' && p !== null && typeof (p as Plugin).info === 'object' && hasFn(p, 'initialize'),
  isEdgePayloadReceiver: (p: unknown): p is EdgePayloadReceiver => hasFn(p, 'acceptEdgePayload'),
  isConfigProvider: (p: unknown): p is ConfigProvider => hasFn(p, 'getConfigSchema'),
  isSessionAware: (p: unknown): p is SessionAware => hasFn(p, 'onSessionReady'),
  isConfigChangeHandler: (p: unknown): p is ConfigChangeHandler => hasFn(p, 'onConfigChange'),
  isManifestProvider: (p: unknown): p is ManifestProvider => hasFn(p, 'getManifest'),
  isSchedulerPlugin: (p: unknown): p is SchedulerPlugin => hasFn(p, 'executeScheduledTask'),
  isObjectHookHandler: (p: unknown): p is ObjectHookHandler => hasFn(p, 'onObjectChange'),
  isUIProvider: (p: unknown): p is UIProvider =>
    hasFn(p, 'getUIManifest') && hasFn(p, 'getAsset') && hasFn(p, 'handleRPC'),
  ...gatewayCapabilities,
} as const;
