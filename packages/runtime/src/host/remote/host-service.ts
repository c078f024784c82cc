import { Buffer } from 'node:buffer';
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import {
  CONTENT_TYPE_BYTES,
  CONTENT_TYPE_JSON,
  ErrorCode,
  HubspokeError,
  type ConfigEntry,
  type Direction,
  type PublishOptions,
  type Services,
} from '@hubspoke/sdk';
import {
  edgeInfoToWire,
  fromJson,
  toJson,
  unary,
  type WireConfigKey,
  type WireConfigList,
  type WireConfigPut,
  type WireKvPut,
  type WireLog,
  type WirePublish,
  type WireRegister,
  type WireSendToControl,
  type WireSubscribe,
} from '@hubspoke/sdk/internal';

/** What the Host service needs from the plugin it serves. */
export interface HostSide {
  /** The token of the process being served now (undefined: none). */
  token(): string | undefined;
  /** The plugin's services (as the PluginHost gave them, scope checks included); throws before Initialize. */
  services(): Services;
  register(req: WireRegister): void;
  subscribe(req: WireSubscribe): Promise<string>;
  unsubscribe(id: string): Promise<void>;
}

function publishOptions(r: WirePublish): PublishOptions {
  const o: PublishOptions = {};
  if (r.correlationId) o.correlationId = r.correlationId;
  if (r.causationId) o.causationId = r.causationId;
  if (r.traceparent) o.traceparent = r.traceparent;
  if (Object.keys(r.metadata).length > 0) o.metadata = r.metadata;
  if (r.hasNamespace) o.namespace = r.namespace;
  if (r.hasEdgeId) o.edgeId = r.edgeId;
  if (r.durable) o.durable = true;
  return o;
}

const LEVELS = new Set(['debug', 'info', 'warn', 'error']);

function parseJson(s: string, what: string): unknown {
  try {
    return fromJson(s);
  } catch (cause) {
    throw new HubspokeError(ErrorCode.InvalidArgument, `${what} is not valid JSON`, { cause });
  }
}

const wireEntries = (list: ConfigEntry[]) => ({
  entries: list.map((e) => ({ key: e.key, valueJson: toJson(e.value), revision: e.revision })),
});

const scope = (r: { namespace: string; hasNamespace: boolean }) => (r.hasNamespace ? { namespace: r.namespace } : {});

/** The Host service (proto/hubspoke/v1/plugin.proto) for one plugin: every call runs as that plugin. */
export function hostService(side: HostSide): UntypedServiceImplementation {
  const t = () => side.token();
  const edge = () => {
    const e = side.services().edge;
    if (!e) throw new HubspokeError(ErrorCode.NotSupported, 'ctx.services.edge exists on edge nodes only');
    return e;
  };
  const control = () => {
    const c = side.services().control;
    if (!c) throw new HubspokeError(ErrorCode.NotSupported, 'ctx.services.control exists on the control plane only');
    return c;
  };
  return {
    Register: unary(t, (req: WireRegister) => {
      side.register(req);
      return {};
    }),
    Publish: unary(t, async (r: WirePublish) => {
      const events = side.services().events;
      const dir = r.direction as Direction;
      let id: string;
      if (r.contentType === CONTENT_TYPE_JSON) {
        const value =
          r.payload.length === 0
            ? undefined
            : parseJson(Buffer.from(r.payload).toString('utf8'), `payload of ${r.topic}`);
        id = await events.publish(r.topic, value, dir, publishOptions(r));
      } else if (r.contentType === CONTENT_TYPE_BYTES) {
        id = await events.publishRaw(r.topic, new Uint8Array(r.payload), dir, publishOptions(r));
      } else {
        throw new HubspokeError(
          ErrorCode.InvalidArgument,
          `content type ${r.contentType} is neither ${CONTENT_TYPE_JSON} nor ${CONTENT_TYPE_BYTES}`,
        );
      }
      return { id };
    }),
    Subscribe: unary(t, async (r: WireSubscribe) => ({ subscriptionId: await side.subscribe(r) })),
    Unsubscribe: unary(t, async (r: { subscriptionId: string }) => {
      await side.unsubscribe(r.subscriptionId);
      return {};
    }),
    KvGet: unary(t, async (r: { key: string }) => {
      const v = await side.services().kv.get(r.key);
      return v === undefined ? { found: false } : { found: true, value: v };
    }),
    KvPut: unary(t, async (r: WireKvPut) => {
      await side.services().kv.put(r.key, new Uint8Array(r.value), r.hasTtl ? { ttlMs: r.ttlMs } : undefined);
      return {};
    }),
    KvDelete: unary(t, async (r: { key: string }) => ({ existed: await side.services().kv.delete(r.key) })),
    KvList: unary(t, async (r: { prefix: string }) => ({ keys: await side.services().kv.list(r.prefix) })),
    Log: unary(t, (r: WireLog) => {
      const level = LEVELS.has(r.level) ? (r.level as 'info') : 'info';
      const fields = (r.fieldsJson ? parseJson(r.fieldsJson, 'log fields') : {}) as Record<string, unknown>;
      side.services().logger[level](r.message, {
        ...fields,
        ...(r.eventId ? { eventId: r.eventId } : {}),
        ...(r.correlationId ? { correlationId: r.correlationId } : {}),
      });
      return {};
    }),
    SendToControl: unary(t, async (r: WireSendToControl) => {
      const payload = r.json
        ? (parseJson(Buffer.from(r.payload).toString('utf8'), 'payload') as object)
        : new Uint8Array(r.payload);
      const res = await edge().sendToControl(payload, {
        ...(r.correlationId ? { correlationId: r.correlationId } : {}),
        ...(Object.keys(r.metadata).length > 0 ? { metadata: r.metadata } : {}),
      });
      return { id: res.id, pending: res.pending };
    }),
    EdgeConfigGet: unary(t, async (r: WireConfigKey) => {
      const v = await edge().config.get(r.key);
      return v === undefined ? { found: false } : { found: true, valueJson: toJson(v) };
    }),
    EdgeConfigList: unary(t, async () => wireEntries(await edge().config.list())),
    ControlConfigPut: unary(t, async (r: WireConfigPut) => ({
      revision: await control().config.put(r.key, parseJson(r.valueJson, `config value of ${r.key}`), scope(r)),
    })),
    ControlConfigGet: unary(t, async (r: WireConfigKey) => {
      const v = await control().config.get(r.key, scope(r));
      return v === undefined ? { found: false } : { found: true, valueJson: toJson(v) };
    }),
    ControlConfigDelete: unary(t, async (r: WireConfigKey) => ({
      existed: await control().config.delete(r.key, scope(r)),
    })),
    ControlConfigList: unary(t, async (r: WireConfigList) =>
      wireEntries(await control().config.list({ ...scope(r), ...(r.prefix ? { prefix: r.prefix } : {}) })),
    ),
    EdgesList: unary(t, async () => ({ edges: (await control().edges.list()).map(edgeInfoToWire) })),
  };
}
