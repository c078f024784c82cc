import {
  ErrorCode,
  HubspokeError,
  capabilities,
  type Context,
  type Event,
  type EventHandler,
  type Manifest,
  type Plugin,
  type Services,
} from '@hubspoke/sdk';
import type { Logger as Pino } from 'pino';
import type { NodeIdentity } from '../events/fabric.js';
import type { HandlerRunner, LocalBus } from '../events/local-bus.js';
import { handlerScope } from '../logger.js';
import { validatePluginConfig } from './config-schema.js';
import { guardServices } from './guard.js';
import type { LoadedPlugin } from './load.js';
import { checkManifest, type CheckedManifest } from './manifest.js';

/** A plugin the host runs. */
export interface HostedPlugin {
  readonly name: string;
  readonly plugin: Plugin;
  readonly ctx: Context;
  readonly config: Record<string, unknown>;
  readonly abort: AbortController;
  /** Its checked manifest; `undefined` when it has none (and may do everything). */
  readonly manifest: Readonly<Manifest> | undefined;
}

/** Timeouts of plugin lifecycle calls. */
export interface HostTimeouts {
  /** @default 10000 */
  initializeMs: number;
  /** @default 10000 */
  shutdownMs: number;
}

interface Deadline {
  at: number;
  fire: () => void;
}

// One sweep for every pending plugin call with a long timeout, instead of a timer each: offering payloads
// calls a plugin per payload, and a timer per call is a large part of that call's cost.
const deadlines = new Set<Deadline>();
let sweeper: NodeJS.Timeout | undefined;

function sweep(): void {
  const now = Date.now();
  for (const d of deadlines) {
    if (d.at <= now) {
      deadlines.delete(d);
      d.fire();
    }
  }
  if (deadlines.size === 0) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

function pluginError(plugin: string, step: string, err: unknown): HubspokeError {
  const code = (err as HubspokeError)?.code;
  if (code === ErrorCode.Plugin || code === ErrorCode.ConfigInvalid) return err as HubspokeError;
  return new HubspokeError(
    ErrorCode.Plugin,
    `plugin ${plugin}: ${step} failed: ${(err as Error)?.message ?? String(err)}`,
    {
      cause: err,
    },
  );
}

/** What {@link pluginCall} turns the plugin's answer or failure into, in the one promise it returns. */
export interface PluginCallMap<T, R> {
  ok(value: T): R | PromiseLike<R>;
  err(error: HubspokeError): R;
}

/**
 * Runs `fn`, failing with `HS_ERR_PLUGIN` naming the plugin and the step when it throws or outlasts `ms`. With
 * `map`, the answer and the failure are turned into the promise's value instead (what a caller would do in a
 * `.then` of its own: one promise less per call, for the payload offer at full speed).
 */
export function pluginCall<T>(plugin: string, step: string, ms: number, fn: () => T | Promise<T>): Promise<T>;
export function pluginCall<T, R>(
  plugin: string,
  step: string,
  ms: number,
  fn: () => T | Promise<T>,
  map: PluginCallMap<T, R>,
): Promise<R>;
export function pluginCall<T, R>(
  plugin: string,
  step: string,
  ms: number,
  fn: () => T | Promise<T>,
  map?: PluginCallMap<T, R>,
): Promise<T | R> {
  return new Promise<T | R>((resolve, reject) => {
    let settled = false;
    const fail = (err: HubspokeError): void => {
      if (map) resolve(map.err(err));
      else reject(err);
    };
    const timedOut = (): void => {
      if (settled) return;
      settled = true;
      fail(new HubspokeError(ErrorCode.Plugin, `plugin ${plugin}: ${step} did not finish within ${ms} ms`));
    };
    let timer: NodeJS.Timeout | undefined;
    let deadline: Deadline | undefined;
    if (ms < 1000) timer = setTimeout(timedOut, ms);
    else {
      deadline = { at: Date.now() + ms, fire: timedOut };
      deadlines.add(deadline);
      sweeper ??= setInterval(sweep, 100).unref();
    }
    const end = (): boolean => {
      if (settled) return false;
      settled = true;
      if (timer) clearTimeout(timer);
      if (deadline) deadlines.delete(deadline);
      return true;
    };
    let r: T | Promise<T>;
    try {
      r = fn();
    } catch (err) {
      if (end()) fail(pluginError(plugin, step, err));
      return;
    }
    Promise.resolve(r).then(
      (v) => {
        if (!end()) return;
        if (!map) resolve(v);
        else {
          try {
            resolve(map.ok(v));
          } catch (err) {
            reject(err as Error);
          }
        }
      },
      (err: unknown) => {
        if (end()) fail(pluginError(plugin, step, err));
      },
    );
  });
}

/**
 * The one plugin host of both runtimes: validates configs before anything runs, initializes in load order,
 * tells session-aware plugins when the node is ready, runs event handlers in their plugin's scope, and shuts
 * plugins down with their signal aborted. A handler that throws is logged and counted, never fatal.
 */
export class PluginHost {
  private readonly hosted: HostedPlugin[] = [];
  private initialized = 0;
  private readonly sessionStarted = new Set<string>();

  private readonly loaded: readonly LoadedPlugin[];
  private readonly checked = new Map<string, CheckedManifest>();

  constructor(
    private readonly me: NodeIdentity,
    private readonly log: Pino,
    loaded: readonly LoadedPlugin[],
    private readonly timeouts: HostTimeouts,
  ) {
    this.loaded = loaded.map((l) =>
      capabilities.isConfigProvider(l.plugin)
        ? { ...l, config: validatePluginConfig(l.plugin.info.name, l.plugin.getConfigSchema(), l.config) }
        : { ...l, config: structuredClone(l.config) },
    );
    for (const { plugin } of this.loaded) {
      const m = checkManifest(plugin);
      if (m) this.checked.set(plugin.info.name, m);
    }
  }

  /** The checked manifests, by plugin name, in load order (known from construction on, before `initialize`). */
  manifests(): ReadonlyMap<string, Readonly<Manifest>> {
    return new Map([...this.checked].map(([name, c]) => [name, c.manifest]));
  }

  /** Runs a handler with its event in scope, so that log lines and events it publishes carry the event's ids. */
  readonly runHandler: HandlerRunner = (handler: EventHandler, ev: Event) =>
    handlerScope.run(
      {
        eventId: ev.id,
        ...(ev.correlationId ? { correlationId: ev.correlationId } : {}),
        ...(ev.traceparent ? { traceparent: ev.traceparent } : {}),
      },
      handler,
      ev,
    );

  /** The plugins in load order (the order receivers are offered payloads). */
  list(): readonly HostedPlugin[] {
    return this.hosted;
  }

  /** The plugin objects loaded, in load order (before `initialize` too). */
  plugins(): readonly Plugin[] {
    return this.loaded.map((l) => l.plugin);
  }

  /**
   * Initializes every plugin in load order; on a failure, shuts down those already initialized and throws.
   * `configFor` may give a plugin's config from elsewhere (an edge's synced `plugin.<name>`), already validated.
   */
  async initialize(
    servicesFor: (plugin: string) => Services,
    configFor?: (plugin: string) => Record<string, unknown> | undefined,
  ): Promise<void> {
    for (const l of this.loaded) {
      const plugin = l.plugin;
      const name = plugin.info.name;
      const config = configFor?.(name) ?? l.config;
      const abort = new AbortController();
      const ctx: Context = Object.freeze({
        runtime: this.me.runtime,
        nodeId: this.me.nodeId,
        namespace: this.me.namespace,
        plugin: plugin.info,
        services: guardServices(name, this.checked.get(name)?.scopes, servicesFor(name)),
        signal: abort.signal,
      });
      const h: HostedPlugin = { name, plugin, ctx, config, abort, manifest: this.checked.get(name)?.manifest };
      this.hosted.push(h);
      await pluginCall(name, 'initialize', this.timeouts.initializeMs, () => plugin.initialize(ctx, config));
      this.initialized++;
      this.log.info({ plugin: name, version: plugin.info.version }, 'plugin initialized');
    }
  }

  /** Calls `onSessionReady` of every session-aware plugin, in load order. */
  async sessionReady(): Promise<void> {
    for (const h of this.hosted) {
      const p = h.plugin;
      if (capabilities.isSessionAware(p)) {
        this.sessionStarted.add(h.name);
        await pluginCall(h.name, 'onSessionReady', this.timeouts.initializeMs, () => p.onSessionReady(h.ctx));
      }
    }
  }

  /** Aborts every plugin's signal, ends its subscriptions, then calls `onSessionClosing` and `shutdown`, in reverse order. */
  async shutdown(bus: LocalBus): Promise<void> {
    for (const h of this.hosted) bus.removeOwner(h.name);
    const started = this.hosted.splice(0, this.initialized);
    this.hosted.length = 0;
    this.initialized = 0;
    for (const h of started.reverse()) {
      h.abort.abort(new HubspokeError(ErrorCode.Closed, `node ${this.me.nodeId} is shutting down`));
      bus.removeOwner(h.name);
      const p = h.plugin;
      try {
        if (capabilities.isSessionAware(p) && p.onSessionClosing && this.sessionStarted.delete(h.name)) {
          const closing = p.onSessionClosing.bind(p);
          await pluginCall(h.name, 'onSessionClosing', this.timeouts.shutdownMs, () => closing(h.ctx));
        }
        await pluginCall(h.name, 'shutdown', this.timeouts.shutdownMs, () => p.shutdown(h.ctx));
      } catch (err) {
        this.log.error({ err, plugin: h.name }, 'plugin shutdown failed');
      }
    }
  }
}
