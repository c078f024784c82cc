import { AsyncLocalStorage } from 'node:async_hooks';
import type { Client, ServiceError } from '@grpc/grpc-js';
import { CONTENT_TYPE_BYTES, CONTENT_TYPE_JSON } from '../envelope.js';
import { ErrorCode, HubspokeError } from '../errors.js';
import type { Direction } from '../direction.js';
import type { EventHandler, EventsService, PublishOptions, SubscribeOptions } from '../events.js';
import type {
  ConfigEntry,
  ControlService,
  EdgeInfo,
  EdgeService,
  KVPutOptions,
  KVService,
  Logger,
  SendOptions,
  Services,
} from '../services.js';
import { callUnary, fromServiceError } from './rpc.js';
import { fromJson, toJson, type WireConfigEntry, type WireEdgeInfo, type WireKvPut, type WirePublish } from './wire.js';

/** What a delivery in progress is about, so that calls made inside a handler carry it (as in process). */
export interface DeliveryScope {
  eventId?: string;
  payloadId?: string;
  correlationId?: string;
  traceparent?: string;
}

/** The delivery being handled now, in the plugin process. */
export const deliveryScope = new AsyncLocalStorage<DeliveryScope>();

/** The plugin's end of its subscriptions: handlers by the id the host gave them. */
export class HandlerTable {
  readonly handlers = new Map<string, EventHandler>();
  private pending = 0;
  private settled: (() => void)[] = [];

  /** Runs a Subscribe call; deliveries that race ahead of its answer wait for it in {@link find}. */
  async track<T>(fn: () => Promise<T>): Promise<T> {
    this.pending++;
    try {
      return await fn();
    } finally {
      this.pending--;
      for (const s of this.settled.splice(0)) s();
    }
  }

  async find(id: string): Promise<EventHandler | undefined> {
    for (;;) {
      const h = this.handlers.get(id);
      if (h || this.pending === 0) return h;
      await new Promise<void>((r) => this.settled.push(r));
    }
  }
}

/** Calls the Host service of one plugin session. */
export class HostCalls {
  constructor(
    private readonly client: Client,
    private readonly token: string,
    private readonly address: string,
    private readonly timeoutMs: number,
  ) {}

  async call<Res>(method: string, req: object): Promise<Res> {
    try {
      return await callUnary<Res>(this.client, method, req, this.token, this.timeoutMs);
    } catch (err) {
      throw fromServiceError(err as ServiceError, ErrorCode.NotConnected, `the host at ${this.address} (${method})`);
    }
  }
}

function utf8(s: string): Uint8Array {
  return Buffer.from(s, 'utf8');
}

function publishRequest(
  topic: string,
  payload: Uint8Array,
  contentType: string,
  dir: Direction,
  o?: PublishOptions,
): WirePublish {
  const scope = deliveryScope.getStore();
  return {
    topic,
    direction: dir,
    payload,
    contentType,
    correlationId: o?.correlationId ?? scope?.correlationId ?? '',
    causationId: o?.causationId ?? scope?.eventId ?? '',
    metadata: o?.metadata ?? {},
    namespace: o?.namespace ?? '',
    edgeId: o?.edgeId ?? '',
    traceparent: o?.traceparent ?? scope?.traceparent ?? '',
    durable: o?.durable ?? false,
    hasNamespace: o?.namespace !== undefined,
    hasEdgeId: o?.edgeId !== undefined,
  };
}

function eventsProxy(host: HostCalls, table: HandlerTable): EventsService {
  const subscribe = async (pattern: string, all: boolean, handler: EventHandler, opts?: SubscribeOptions) => {
    if (typeof handler !== 'function') {
      throw new HubspokeError(ErrorCode.InvalidArgument, `subscribe(${pattern}) needs a handler function`);
    }
    return table.track(async () => {
      const r = await host.call<{ subscriptionId: string }>('Subscribe', {
        pattern,
        all,
        queueSize: opts?.queueSize ?? 0,
      });
      table.handlers.set(r.subscriptionId, handler);
      return r.subscriptionId;
    });
  };
  return {
    async publish(topic, payload, dir, opts) {
      let json: string | undefined;
      try {
        json = JSON.stringify(payload);
      } catch (cause) {
        throw new HubspokeError(ErrorCode.InvalidArgument, `payload of ${topic} is not JSON-serialisable`, { cause });
      }
      const bytes = json === undefined ? new Uint8Array(0) : utf8(json);
      return (await host.call<{ id: string }>('Publish', publishRequest(topic, bytes, CONTENT_TYPE_JSON, dir, opts)))
        .id;
    },
    async publishRaw(topic, payload, dir, opts) {
      if (!(payload instanceof Uint8Array)) {
        throw new HubspokeError(ErrorCode.InvalidArgument, `publishRaw(${topic}) needs a Uint8Array payload`);
      }
      return (await host.call<{ id: string }>('Publish', publishRequest(topic, payload, CONTENT_TYPE_BYTES, dir, opts)))
        .id;
    },
    subscribe: (pattern, handler, opts) => subscribe(pattern, false, handler, opts),
    subscribeAll: (handler, opts) => subscribe('>', true, handler, opts),
    async unsubscribe(id) {
      await host.call('Unsubscribe', { subscriptionId: id });
      table.handlers.delete(id);
    },
  };
}

function kvProxy(host: HostCalls): KVService {
  return {
    async get(key) {
      const r = await host.call<{ found: boolean; value: Uint8Array }>('KvGet', { key });
      return r.found ? new Uint8Array(r.value.buffer, r.value.byteOffset, r.value.byteLength) : undefined;
    },
    async put(key, value, opts?: KVPutOptions) {
      if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
        throw new HubspokeError(ErrorCode.InvalidArgument, `kv.put(${String(key)}) needs a string or Uint8Array value`);
      }
      const req: WireKvPut = {
        key,
        value: typeof value === 'string' ? utf8(value) : value,
        hasTtl: opts?.ttlMs !== undefined,
        ttlMs: opts?.ttlMs ?? 0,
      };
      await host.call('KvPut', req);
    },
    async delete(key) {
      return (await host.call<{ existed: boolean }>('KvDelete', { key })).existed;
    },
    async list(prefix = '') {
      return (await host.call<{ keys: string[] }>('KvList', { prefix })).keys;
    },
  };
}

function loggerProxy(host: HostCalls): Logger {
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    const scope = deliveryScope.getStore();
    let fieldsJson = '';
    try {
      fieldsJson = fields ? JSON.stringify(fields) : '';
    } catch {
      fieldsJson = JSON.stringify({ fields: '(not JSON-serialisable)' });
    }
    host
      .call('Log', {
        level,
        message,
        fieldsJson,
        eventId: scope?.eventId ?? scope?.payloadId ?? '',
        correlationId: scope?.correlationId ?? '',
      })
      .catch((err: unknown) => process.stderr.write(`log line lost (${(err as Error).message}): ${message}\n`));
  };
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}

const entries = (r: { entries: WireConfigEntry[] }): ConfigEntry[] =>
  r.entries.map((e) => ({ key: e.key, value: fromJson(e.valueJson), revision: e.revision }));

function edgeProxy(host: HostCalls): EdgeService {
  return {
    async sendToControl(payload: Uint8Array | object, opts?: SendOptions) {
      const raw = payload instanceof Uint8Array;
      const r = await host.call<{ id: string; pending: number }>('SendToControl', {
        payload: raw ? payload : utf8(JSON.stringify(payload)),
        json: !raw,
        correlationId: opts?.correlationId ?? deliveryScope.getStore()?.correlationId ?? '',
        metadata: opts?.metadata ?? {},
      });
      return { id: r.id, pending: r.pending };
    },
    config: {
      async get(key) {
        const r = await host.call<{ found: boolean; valueJson: string }>('EdgeConfigGet', { key });
        return r.found ? fromJson(r.valueJson) : undefined;
      },
      list: async () => entries(await host.call('EdgeConfigList', {})),
    },
  };
}

const scopeOf = (o?: { namespace?: string }) => ({
  namespace: o?.namespace ?? '',
  hasNamespace: o?.namespace !== undefined,
});

function edgeInfo(e: WireEdgeInfo): EdgeInfo {
  return {
    edgeId: e.edgeId,
    namespace: e.namespace,
    state: e.state as EdgeInfo['state'],
    firstSeen: new Date(e.firstSeenUnixMs),
    lastSeen: new Date(e.lastSeenUnixMs),
    version: e.version,
    appliedRevision: e.appliedRevision,
    latestRevision: e.latestRevision,
    outboxDepth: e.outboxDepth,
    reconnects: e.reconnects,
    ...(e.lastError ? { lastError: e.lastError } : {}),
  };
}

function controlProxy(host: HostCalls): ControlService {
  return {
    config: {
      async put(key, value, o) {
        return (
          await host.call<{ revision: number }>('ControlConfigPut', { key, valueJson: toJson(value), ...scopeOf(o) })
        ).revision;
      },
      async get(key, o) {
        const r = await host.call<{ found: boolean; valueJson: string }>('ControlConfigGet', { key, ...scopeOf(o) });
        return r.found ? fromJson(r.valueJson) : undefined;
      },
      async delete(key, o) {
        return (await host.call<{ existed: boolean }>('ControlConfigDelete', { key, ...scopeOf(o) })).existed;
      },
      list: async (o) => entries(await host.call('ControlConfigList', { ...scopeOf(o), prefix: o?.prefix ?? '' })),
    },
    edges: {
      list: async () => (await host.call<{ edges: WireEdgeInfo[] }>('EdgesList', {})).edges.map(edgeInfo),
    },
  };
}

/** The services a plugin process gets: each call goes to the host, which runs it as this plugin. */
export function remoteServices(host: HostCalls, table: HandlerTable, runtime: string): Services {
  return Object.freeze({
    events: eventsProxy(host, table),
    kv: kvProxy(host),
    logger: loggerProxy(host),
    ...(runtime === 'edge' ? { edge: edgeProxy(host) } : {}),
    ...(runtime === 'control' ? { control: controlProxy(host) } : {}),
  });
}
