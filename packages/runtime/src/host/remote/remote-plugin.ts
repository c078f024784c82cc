import { randomBytes } from 'node:crypto';
import {
  Server,
  ServerCredentials,
  credentials,
  makeClientConstructor,
  status,
  type Client,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  CONTENT_TYPE_BYTES,
  Direction,
  ErrorCode,
  HubspokeError,
  isHubspokeError,
  assertName,
  eventToEnvelope,
  type ConfigChange,
  type Context,
  type EdgePayload,
  type Event,
  type Manifest,
  type ObjectChange,
  type ObjectHookResult,
  type Plugin,
  type ScheduledRun,
  type Services,
} from '@hubspoke/sdk';
import {
  CAPABILITY,
  HOST_SERVICE,
  PLUGIN_ENV,
  PLUGIN_PROTOCOL,
  PLUGIN_SERVICE,
  callUnary,
  fromJson,
  fromServiceError,
  serviceDefinition,
  toJson,
  type WireEventDelivery,
  type WireManifest,
  type WireObjectChangeReply,
  type WireRegister,
  type WireSubscribe,
} from '@hubspoke/sdk/internal';
import type { Logger as Pino } from 'pino';
import { Backoff } from '../../retry/backoff.js';
import { PluginProcess } from './child.js';
import { GatewayStream } from './gateway-stream.js';
import { hostService } from './host-service.js';
import { parseRemoteSpec, type RemoteOptions, type RemotePluginSpec } from './spec.js';

type State = 'starting' | 'up' | 'down' | 'restarting' | 'stopped';

/** A subscription a remote plugin made: it lives here, in the host, across restarts of the plugin process. */
interface HostSub {
  id: string;
  pattern: string;
  all: boolean;
  /** The process start that owns it now (a restarted process claims the subscriptions of the one before). */
  claimedBy: number;
  /** Calls sent and not answered yet, the delivery sequence (per process start), and who waits for room. */
  inFlight: number;
  sequence: number;
  sequenceOf: number;
  room: (() => void)[];
  /** Deliveries waiting to go in the next batch ("event_batch" plugins), and whether a flush is due. */
  batch: { d: WireEventDelivery; topic: string }[];
  flushDue: boolean;
}

/** At most this many deliveries in one DeliverEvents call, and this many calls of one subscription in flight. */
const BATCH_MAX = 256;
const BATCHES_IN_FLIGHT = 2;

/**
 * Deliveries of one subscription in flight at once. Waiting for each answer before sending the next made
 * every event a full gRPC round trip (about 2 k events/s); the plugin still runs them one at a time, in order.
 */
const DELIVERY_WINDOW = 32;

/** What a test or an operator can see of a remote plugin. */
export interface RemotePluginStatus {
  state: State;
  /** The process id (spawned plugins). */
  pid: number | undefined;
  /** 1 for the first process start, +1 for each restart. */
  start: number;
  restarts: number;
  /** Calls into the plugin that outlasted their deadline. */
  timeouts: number;
  /** Event deliveries that failed or timed out (logged). */
  failedDeliveries: number;
  subscriptions: number;
  /** Where its Host service listens (the plugin calls back here, with its token). */
  hostAddress: string;
}

const REMOTE = Symbol.for('hubspoke.remotePlugin');
const PluginClient = makeClientConstructor(serviceDefinition(PLUGIN_SERVICE), PLUGIN_SERVICE);

/** The status of a plugin the runtime runs out of process; undefined for an in-process plugin. */
export function remotePluginStatus(plugin: unknown): RemotePluginStatus | undefined {
  return (plugin as { [REMOTE]?: RemotePlugin } | null)?.[REMOTE]?.status();
}

/** Stops a remote plugin's process and server, whatever state it is in (for a node that failed to start). */
export async function disposeRemotePlugin(plugin: unknown): Promise<void> {
  await (plugin as { [REMOTE]?: RemotePlugin } | null)?.[REMOTE]?.close();
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const sameCaps = (a: WireManifest, b: WireManifest) =>
  a.name === b.name &&
  [...a.capabilities].sort().join() === [...b.capabilities].sort().join() &&
  a.configSchemaJson === b.configSchemaJson;

/**
 * One out-of-process plugin: starts its command (or attaches to its address), completes the handshake, and
 * stands in for it as a {@link Plugin} with exactly the capabilities it declared. Restarts a crashed process with
 * backoff; its subscriptions live here, so the next process receives the next events.
 */
class RemotePlugin {
  private readonly o: Required<RemoteOptions> & RemotePluginSpec;
  private log: Pino;
  private readonly server = new Server();
  private hostAddress = '';
  private token: string | undefined;
  private registering: ReturnType<typeof deferred<WireRegister>> | undefined;
  private proc: PluginProcess | undefined;
  private client: Client | undefined;
  private manifest!: WireManifest;
  private instanceId = '';
  private ctx: Context | undefined;
  private config: Record<string, unknown> = {};
  private state: State = 'starting';
  private start = 0;
  private restarts = 0;
  private timeouts = 0;
  private failedDeliveries = 0;
  private sessionReady = false;
  private claiming = false;
  private readonly subs = new Map<string, HostSub>();
  private waiters: (() => void)[] = [];
  private healthTimer: NodeJS.Timeout | undefined;
  private healthFails = 0;
  private checking = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly restartBackoff: Backoff;
  private upSince = 0;
  private closing: Promise<void> | undefined;
  private gatewayStream: GatewayStream | undefined;

  constructor(spec: RemotePluginSpec, log: Pino) {
    this.o = parseRemoteSpec(spec);
    this.log = log.child({ plugin: this.o.name ?? ('command' in this.o ? this.o.command.join(' ') : this.o.address) });
    this.restartBackoff = new Backoff({ initialMs: this.o.restartInitialMs, maxMs: this.o.restartMaxMs });
  }

  private get name(): string {
    return this.manifest?.name ?? this.o.name ?? 'remote';
  }

  status(): RemotePluginStatus {
    return {
      state: this.state,
      pid: this.proc?.pid,
      start: this.start,
      restarts: this.restarts,
      timeouts: this.timeouts,
      failedDeliveries: this.failedDeliveries,
      subscriptions: this.subs.size,
      hostAddress: this.hostAddress,
    };
  }

  private fail(why: string, cause?: unknown): HubspokeError {
    return new HubspokeError(
      ErrorCode.Plugin,
      `plugin ${this.name}: ${why}`,
      cause === undefined ? undefined : { cause },
    );
  }

  /** Serves the Host service, starts the process (or attaches), and learns what the plugin is. */
  async open(): Promise<Plugin> {
    this.server.addService(
      serviceDefinition(HOST_SERVICE),
      hostService({
        token: () => this.token,
        services: () => this.services(),
        register: (r) => this.register(r),
        subscribe: (r) => this.subscribe(r),
        unsubscribe: (id) => this.unsubscribe(id),
      }),
    );
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    this.hostAddress = `127.0.0.1:${port}`;
    try {
      this.manifest = await this.connect();
      assertName('plugin name', this.manifest.name);
      if (!this.manifest.version) throw this.fail('describes no version');
      if (this.o.name !== undefined && this.manifest.name !== this.o.name) {
        throw this.fail(
          `describes itself as ${this.manifest.name}, but the spec names it ${this.o.name} (identity mismatch)`,
        );
      }
    } catch (err) {
      await this.close();
      throw isHubspokeError(err, ErrorCode.Plugin) ? err : this.fail((err as Error).message, err);
    }
    this.log = this.log.child({ plugin: this.manifest.name });
    return this.proxy();
  }

  private services(): Services {
    if (!this.ctx) throw new HubspokeError(ErrorCode.Plugin, `plugin ${this.name} is not initialized yet`);
    return this.ctx.services;
  }

  /** Starts a process and waits for its Register call (or dials the address), then asks it to describe itself. */
  private async connect(): Promise<WireManifest> {
    this.start++;
    this.client?.close();
    let address: string;
    if ('command' in this.o) {
      this.token = randomBytes(32).toString('base64url');
      const reg = deferred<WireRegister>();
      this.registering = reg;
      const proc = new PluginProcess(
        this.o.command,
        {
          ...this.o.env,
          [PLUGIN_ENV.host]: this.hostAddress,
          [PLUGIN_ENV.token]: this.token,
          [PLUGIN_ENV.protocol]: String(PLUGIN_PROTOCOL),
        },
        this.o.cwd,
        () => this.log,
      );
      this.proc = proc;
      void proc.exited.then((e) => this.exited(proc, e));
      let timer: NodeJS.Timeout | undefined;
      try {
        const r = await Promise.race([
          reg.promise,
          proc.exited.then((e) => {
            throw this.fail(
              `exited (${e.signal ?? `code ${e.code}`}) before registering: ${proc.stderrTail() || '(no stderr)'}`,
            );
          }),
          new Promise<never>((_, rej) => {
            timer = setTimeout(
              () => rej(this.fail(`did not register within ${this.o.startTimeoutMs} ms`)),
              this.o.startTimeoutMs,
            );
          }),
        ]);
        address = r.address;
      } catch (err) {
        proc.kill();
        throw err;
      } finally {
        clearTimeout(timer);
        this.registering = undefined;
      }
    } else {
      this.token = this.o.token;
      address = this.o.address;
    }
    this.gatewayStream?.close();
    this.client = new PluginClient(address, credentials.createInsecure());
    const m = await this.call<WireManifest>('Describe', {}, this.o.startTimeoutMs, 'describe', true);
    if (m.protocol !== PLUGIN_PROTOCOL)
      throw this.fail(`speaks plugin protocol ${m.protocol}; this runtime speaks ${PLUGIN_PROTOCOL}`);
    this.instanceId = (
      await this.call<{ instanceId: string }>('Health', {}, this.o.startTimeoutMs, 'health')
    ).instanceId;
    return m;
  }

  private register(r: WireRegister): void {
    const reg = this.registering;
    if (!reg)
      throw new HubspokeError(
        ErrorCode.Plugin,
        'no plugin start is waiting for Register (a token is good for one start)',
      );
    if (r.protocol !== PLUGIN_PROTOCOL) {
      const err = this.fail(`speaks plugin protocol ${r.protocol}; this runtime speaks ${PLUGIN_PROTOCOL}`);
      reg.reject(err);
      throw err;
    }
    this.registering = undefined;
    reg.resolve(r);
  }

  /** One call into the plugin, with its deadline; failures as `HS_ERR_PLUGIN` (timeouts counted and logged). */
  private async call<Res>(method: string, req: object, ms: number, step: string, waitForReady = false): Promise<Res> {
    const client = this.client;
    const token = this.token;
    if (!client || !token) throw this.fail(`${step}: not connected`);
    try {
      return await callUnary<Res>(client, method, req, token, ms, waitForReady);
    } catch (err) {
      const e = err as ServiceError;
      if (e.code === status.DEADLINE_EXCEEDED) {
        this.timeouts++;
        this.log.error({ step, timeoutMs: ms }, 'plugin call timed out');
        throw this.fail(`${step} did not answer within ${ms} ms`, err);
      }
      const h = fromServiceError(e, ErrorCode.Plugin, `plugin ${this.name}: ${step}`);
      throw h.code === ErrorCode.Plugin || e.code === status.UNKNOWN ? h : this.fail(`${step} failed: ${h.message}`, h);
    }
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits (event-driven, with a deadline) until the plugin is up and `ready()` holds. */
  private async until(ready: () => boolean, ms: number, step: string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(this.state === 'up' && ready())) {
      if (this.state === 'stopped') throw new HubspokeError(ErrorCode.Closed, `plugin ${this.name} is stopped`);
      const left = deadline - Date.now();
      if (left <= 0) throw this.fail(`${step}: the plugin process is not up (${this.state}) after ${ms} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  private async initialize(ctx: Context, config: Record<string, unknown>): Promise<void> {
    this.ctx = ctx;
    this.config = config;
    await this.initializeProcess(this.o.startTimeoutMs);
    this.state = 'up';
    this.upSince = Date.now();
    this.healthTimer = setInterval(() => void this.checkHealth(), this.o.healthIntervalMs).unref();
  }

  private async initializeProcess(ms: number): Promise<void> {
    const ctx = this.ctx as Context;
    await this.call(
      'Initialize',
      {
        pluginName: this.manifest.name,
        runtime: ctx.runtime,
        nodeId: ctx.nodeId,
        namespace: ctx.namespace ?? '',
        configJson: JSON.stringify(this.config),
        hostAddress: this.hostAddress,
        start: this.start,
      },
      ms,
      'initialize',
    );
  }

  private async subscribe(r: WireSubscribe): Promise<string> {
    if (this.claiming) {
      for (const s of this.subs.values()) {
        if (s.claimedBy !== this.start && s.all === r.all && (r.all || s.pattern === r.pattern)) {
          s.claimedBy = this.start;
          return s.id;
        }
      }
    }
    const events = this.services().events;
    const sub: HostSub = {
      id: '',
      pattern: r.all ? '>' : r.pattern,
      all: r.all,
      claimedBy: this.start,
      inFlight: 0,
      sequence: 0,
      sequenceOf: 0,
      room: [],
      batch: [],
      flushDue: false,
    };
    const handler = (ev: Event) => this.deliver(sub, ev);
    const opts = r.queueSize ? { queueSize: r.queueSize } : undefined;
    sub.id = r.all ? await events.subscribeAll(handler, opts) : await events.subscribe(r.pattern, handler, opts);
    this.subs.set(sub.id, sub);
    this.notify();
    return sub.id;
  }

  private async unsubscribe(id: string): Promise<void> {
    if (!this.subs.delete(id)) return;
    await this.services().events.unsubscribe(id);
  }

  /**
   * Sends an event to the plugin once the subscription has room (at most DELIVERY_WINDOW unanswered), and
   * resolves once it is sent: the subscription's queue on the node keeps filling (and counting overflow) while the
   * plugin works. A delivery that fails or times out is logged and counted here, not by the node's bus.
   */
  private async deliver(sub: HostSub, ev: Event): Promise<void> {
    const ms = this.o.handlerTimeoutMs;
    await this.until(() => sub.id !== '' && sub.claimedBy === this.start, ms, `event ${ev.topic}`);
    const batched = this.manifest.capabilities.includes(CAPABILITY.eventBatch);
    if (batched) {
      while (sub.batch.length >= BATCH_MAX) await new Promise<void>((r) => sub.room.push(r));
    } else {
      while (sub.inFlight >= DELIVERY_WINDOW) await new Promise<void>((r) => sub.room.push(r));
    }
    if (sub.sequenceOf !== this.start) {
      sub.sequenceOf = this.start;
      sub.sequence = 0;
    }
    const sequence = ++sub.sequence;
    if (batched) {
      sub.batch.push({
        d: { subscriptionId: sub.id, event: eventToEnvelope(ev), receivedUnixMs: ev.receivedAt.getTime(), sequence },
        topic: ev.topic,
      });
      if (!sub.flushDue) {
        sub.flushDue = true;
        queueMicrotask(() => this.flush(sub));
      }
      return;
    }
    sub.inFlight++;
    this.call(
      'DeliverEvent',
      { subscriptionId: sub.id, event: eventToEnvelope(ev), receivedUnixMs: ev.receivedAt.getTime(), sequence },
      ms,
      `event handler (${ev.topic})`,
    )
      .catch((err: unknown) => {
        this.failedDeliveries++;
        this.log.warn({ err: (err as Error).message, topic: ev.topic, eventId: ev.id }, 'event handler failed');
      })
      .finally(() => {
        sub.inFlight--;
        sub.room.shift()?.();
      });
  }

  /** Sends what a subscription has batched, in calls of at most BATCH_MAX, at most BATCHES_IN_FLIGHT at a time. */
  private flush(sub: HostSub): void {
    sub.flushDue = false;
    while (sub.inFlight < BATCHES_IN_FLIGHT && sub.batch.length > 0) {
      const batch = sub.batch.splice(0, BATCH_MAX);
      for (const w of sub.room.splice(0)) w();
      sub.inFlight++;
      const topics = [...new Set(batch.map((b) => b.topic))];
      const label = `event handler (${topics.slice(0, 3).join(', ')}${topics.length > 3 ? ', …' : ''})`;
      this.call('DeliverEvents', { deliveries: batch.map((b) => b.d) }, this.o.handlerTimeoutMs, label)
        .catch((err: unknown) => {
          this.failedDeliveries += batch.length;
          this.log.warn({ err: (err as Error).message, events: batch.length, topics }, 'event handler failed');
        })
        .finally(() => {
          sub.inFlight--;
          if (sub.batch.length > 0) this.flush(sub);
        });
    }
  }

  private async checkHealth(): Promise<void> {
    if (this.state !== 'up' || this.checking) return;
    this.checking = true;
    try {
      const r = await this.call<{ serving: boolean; instanceId: string }>(
        'Health',
        {},
        this.o.healthTimeoutMs,
        'health check',
      );
      if (!r.serving) throw this.fail('says it is not serving');
      this.healthFails = 0;
      if (r.instanceId !== this.instanceId) this.lost('a new process answers at its address');
    } catch (err) {
      this.log.warn({ err: (err as Error).message, failures: this.healthFails + 1 }, 'plugin health check failed');
      if (++this.healthFails >= this.o.healthFailures) this.lost(`${this.healthFails} health checks failed in a row`);
    } finally {
      this.checking = false;
    }
  }

  /** The process is gone or useless: a started one is killed (and restarted on exit); an attached one re-attached. */
  private lost(why: string): void {
    if (this.state !== 'up') return;
    this.healthFails = 0;
    if (this.proc?.running) {
      this.log.error({ pid: this.proc.pid }, `plugin process killed: ${why}`);
      this.proc.kill();
      return;
    }
    this.log.error(`plugin lost: ${why}; reconnecting`);
    this.state = 'down';
    this.scheduleRestart();
  }

  private exited(proc: PluginProcess, e: { code: number | null; signal: NodeJS.Signals | null }): void {
    if (proc !== this.proc || this.state !== 'up') return;
    this.state = 'down';
    this.log.error(
      { pid: proc.pid, code: e.code, signal: e.signal, stderr: proc.stderrTail() },
      'plugin process exited unexpectedly; restarting it',
    );
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.state === 'stopped') return;
    if (this.upSince && Date.now() - this.upSince >= this.o.restartResetMs) this.restartBackoff.reset();
    this.upSince = 0;
    const delay = this.restartBackoff.next();
    this.restartTimer = setTimeout(() => void this.restart(), delay);
  }

  private async restart(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'restarting';
    try {
      const m = await this.connect();
      if (!sameCaps(m, this.manifest)) {
        throw this.fail(
          `the new process describes itself differently (${m.name}: ${m.capabilities.join(',')}) (identity mismatch)`,
        );
      }
      this.claiming = true;
      try {
        await this.initializeProcess(this.o.startTimeoutMs);
        if (this.sessionReady) await this.call('SessionReady', {}, this.o.startTimeoutMs, 'onSessionReady');
      } finally {
        this.claiming = false;
      }
      for (const s of [...this.subs.values()]) {
        if (s.claimedBy !== this.start) {
          this.log.warn(
            { subscription: s.id, pattern: s.pattern },
            'the restarted plugin did not subscribe to this again: removed',
          );
          await this.unsubscribe(s.id);
        }
      }
      if (this.state !== 'restarting') return;
      this.state = 'up';
      this.upSince = Date.now();
      this.restarts++;
      this.log.info({ pid: this.proc?.pid, start: this.start, subscriptions: this.subs.size }, 'plugin restarted');
      this.notify();
    } catch (err) {
      this.log.error({ err: (err as Error).message, retryInMs: this.restartBackoff.peek() }, 'plugin restart failed');
      this.proc?.kill();
      if (this.state === 'restarting') {
        this.state = 'down';
        this.scheduleRestart();
      }
    }
  }

  private async shutdown(): Promise<void> {
    const wasUp = this.state === 'up';
    this.state = 'stopped';
    this.notify();
    if (wasUp) {
      await this.call('Shutdown', {}, this.o.exitGraceMs, 'shutdown').catch((err: unknown) =>
        this.log.warn({ err: (err as Error).message }, 'plugin shutdown call failed'),
      );
    }
    await this.close();
  }

  /** Ends everything: timers, the process (stdin closed, then killed after the grace), the channels, the server. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      this.state = 'stopped';
      this.notify();
      clearInterval(this.healthTimer);
      clearTimeout(this.restartTimer);
      this.gatewayStream?.close();
      await this.proc?.stop(this.o.exitGraceMs);
      this.client?.close();
      await new Promise<void>((r) => {
        const t = setTimeout(() => {
          this.server.forceShutdown();
          r();
        }, 1000);
        this.server.tryShutdown(() => {
          clearTimeout(t);
          r();
        });
      });
    })());
  }

  /** The stand-in the PluginHost runs: the declared capabilities and nothing else. */
  private proxy(): Plugin {
    const m = this.manifest;
    const caps = new Set(m.capabilities);
    const ms = this.o.handlerTimeoutMs;
    const p: Record<string | symbol, unknown> & Plugin = {
      info: Object.freeze({
        name: m.name,
        version: m.version,
        ...(m.description ? { description: m.description } : {}),
      }),
      initialize: (ctx: Context, config: Record<string, unknown>) => this.initialize(ctx, config),
      shutdown: () => this.shutdown(),
      [REMOTE]: this,
    };
    if (caps.has(CAPABILITY.session)) {
      p['onSessionReady'] = async () => {
        this.sessionReady = true;
        await this.call('SessionReady', {}, this.o.startTimeoutMs, 'onSessionReady');
      };
      if (caps.has(CAPABILITY.sessionClosing)) {
        p['onSessionClosing'] = async () => {
          if (this.state === 'up') await this.call('SessionClosing', {}, this.o.exitGraceMs, 'onSessionClosing');
        };
      }
    }
    if (caps.has(CAPABILITY.edgePayloadReceiver)) {
      if (m.payloadTypes && m.payloadTypes.length > 0) p['payloadTypes'] = [...m.payloadTypes];
      p['acceptEdgePayload'] = async (_ctx: Context, e: EdgePayload): Promise<boolean> => {
        await this.until(() => true, ms, 'acceptEdgePayload');
        const payload = {
          id: e.id,
          topic: '',
          direction: Direction.Up,
          origin: '',
          namespace: e.edgeNamespace,
          edgeId: e.edgeId,
          correlationId: e.correlationId ?? '',
          causationId: '',
          timeUnixMs: e.edgeTimestamp.getTime(),
          metadata: e.metadata,
          traceparent: '',
          contentType: CONTENT_TYPE_BYTES,
          payload: e.payload,
          replayOf: e.replay?.of ?? '',
          replayAtUnixMs: e.replay?.at.getTime() ?? 0,
        };
        const r = await this.call<{ handled: boolean }>(
          'AcceptEdgePayload',
          {
            payload,
            deliveryCount: e.deliveryCount,
            receivedUnixMs: e.receivedTimestamp.getTime(),
          },
          ms,
          'acceptEdgePayload',
        );
        return r.handled;
      };
    }
    if (caps.has(CAPABILITY.scheduler)) {
      p['executeScheduledTask'] = async (_ctx: Context, s: ScheduledRun): Promise<void> => {
        const t = s.timeoutMs ?? ms;
        await this.until(() => true, t, 'executeScheduledTask');
        await this.call(
          'ExecuteScheduledTask',
          {
            schedule: { id: s.id, cron: s.cron, timeoutMs: s.timeoutMs ?? 0 },
            tickUnixMs: s.tickAt?.getTime() ?? Date.now(),
          },
          t,
          `scheduled task ${s.id}`,
        );
      };
    }
    if (caps.has(CAPABILITY.configChange)) {
      p['onConfigChange'] = async (_ctx: Context, c: ConfigChange): Promise<void> => {
        await this.until(() => true, ms, 'onConfigChange');
        await this.call(
          'ConfigChange',
          { key: c.key, valueJson: toJson(c.value), revision: c.revision, deleted: c.deleted },
          ms,
          'onConfigChange',
        );
      };
    }
    if (caps.has(CAPABILITY.objectHook)) {
      p['onObjectChange'] = async (_ctx: Context, c: ObjectChange): Promise<ObjectHookResult> => {
        await this.until(() => true, ms, 'onObjectChange');
        const r = await this.call<WireObjectChangeReply>(
          'ObjectChange',
          {
            operation: c.operation,
            key: c.key,
            namespace: c.namespace ?? '',
            hasValue: c.value !== undefined,
            valueJson: toJson(c.value),
          },
          ms,
          'onObjectChange',
        );
        return {
          allow: r.allow,
          ...(r.hasValue ? { value: fromJson(r.valueJson) } : {}),
          ...(r.reason ? { reason: r.reason } : {}),
        };
      };
    }
    if (caps.has(CAPABILITY.ui)) {
      p['getUIManifest'] = async (): Promise<unknown> => {
        await this.until(() => true, ms, 'getUIManifest');
        const r = await this.call<{ manifestJson: string }>('GetUIManifest', {}, ms, 'getUIManifest');
        return fromJson(r.manifestJson);
      };
      p['getAsset'] = async (path: string): Promise<{ body: Uint8Array; contentType: string } | undefined> => {
        await this.until(() => true, ms, 'getAsset');
        const r = await this.call<{ found: boolean; body: Uint8Array; contentType: string }>(
          'GetAsset',
          { path },
          ms,
          'getAsset',
        );
        return r.found ? { body: r.body, contentType: r.contentType } : undefined;
      };
      p['handleRPC'] = async (_ctx: Context, method: string, payload: unknown): Promise<unknown> => {
        await this.until(() => true, ms, 'handleRPC');
        const r = await this.call<{ resultJson: string }>(
          'HandleRPC',
          { method, payloadJson: toJson(payload) },
          ms,
          `handleRPC ${method}`,
        );
        return fromJson(r.resultJson);
      };
    }
    const hooks = m.gatewayHooks ?? [];
    if (hooks.length > 0) {
      const gs = (this.gatewayStream = new GatewayStream(
        m.name,
        () => this.client,
        () => this.token,
        ms,
      ));
      for (const hook of hooks) p[hook] = (_ctx: Context, arg: unknown) => gs.call(hook, arg);
      if (m.gatewayEndpointsJson) {
        const endpoints = JSON.parse(m.gatewayEndpointsJson) as unknown[];
        p['getEndpoints'] = () => endpoints;
      }
    }
    if (m.configSchemaJson) {
      const schema = JSON.parse(m.configSchemaJson) as Record<string, unknown>;
      p['getConfigSchema'] = () => schema;
    }
    if (m.hasManifest) {
      const manifest: Manifest = {
        name: m.name,
        version: m.version,
        scopes: [...m.scopes],
        ...(m.schedules.length > 0
          ? {
              schedules: m.schedules.map((s) => ({
                id: s.id,
                cron: s.cron,
                ...(s.timeoutMs ? { timeoutMs: s.timeoutMs } : {}),
              })),
            }
          : {}),
      };
      p['getManifest'] = () => manifest;
    }
    return p;
  }
}

/**
 * Starts (or attaches to) an out-of-process plugin and returns the {@link Plugin} that stands in for it.
 * @throws HubspokeError `HS_ERR_PLUGIN` naming the plugin when it does not start, register, or describe itself;
 *   `HS_ERR_CONFIG_INVALID` for a bad spec
 */
export async function openRemotePlugin(spec: RemotePluginSpec, log: Pino): Promise<Plugin> {
  return new RemotePlugin(spec, log).open();
}
