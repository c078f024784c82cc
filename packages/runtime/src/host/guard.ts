import {
  ErrorCode,
  HubspokeError,
  isTopic,
  type ControlService,
  type EdgeService,
  type EventsService,
  type KVService,
  type Services,
} from '@hubspoke/sdk';
import { compilePattern } from '../events/matcher.js';
import { covers, type Scopes } from './scopes.js';

function denied(plugin: string, op: string, need: string, has?: readonly string[]): HubspokeError {
  const granted =
    has === undefined ? '' : has.length === 0 ? ' (it grants none of that kind)' : ` (it grants ${has.join(', ')})`;
  return new HubspokeError(
    ErrorCode.ScopeDenied,
    `plugin ${plugin}: ${op} needs the scope ${need}, which its manifest does not grant${granted}`,
  );
}

// Decisions kept per plugin; a plugin publishing to unbounded topic names only costs a rebuild now and then.
const CACHE_MAX = 4096;

function guardEvents(plugin: string, sc: Scopes, ev: EventsService): EventsService {
  const matchers = sc.publish.map(compilePattern);
  const published = new Map<string, boolean>();
  const subscribed = new Map<string, boolean>();
  const pubHas = sc.publish.map((p) => `events.publish:${p}`);
  const subHas = sc.subscribe.map((p) => `events.subscribe:${p}`);
  const mayPublish = (topic: string): boolean => {
    let ok = published.get(topic);
    if (ok === undefined) {
      // An invalid topic is left to the service, which names what is wrong with it (HS_ERR_INVALID_TOPIC).
      ok = typeof topic !== 'string' || !isTopic(topic) || matchers.some((m) => m(topic));
      if (published.size >= CACHE_MAX) published.clear();
      published.set(topic, ok);
    }
    return ok;
  };
  const maySubscribe = (pattern: string): boolean => {
    let ok = subscribed.get(pattern);
    if (ok === undefined) {
      ok = typeof pattern !== 'string' || sc.subscribe.some((s) => covers(s, pattern));
      if (subscribed.size >= CACHE_MAX) subscribed.clear();
      subscribed.set(pattern, ok);
    }
    return ok;
  };
  const publishDenied = (topic: string) =>
    Promise.reject(denied(plugin, `publish "${topic}"`, `events.publish:<pattern matching "${topic}">`, pubHas));
  return Object.freeze({
    publish: (topic, payload, dir, opts) =>
      mayPublish(topic) ? ev.publish(topic, payload, dir, opts) : publishDenied(topic),
    publishRaw: (topic, payload, dir, opts) =>
      mayPublish(topic) ? ev.publishRaw(topic, payload, dir, opts) : publishDenied(topic),
    subscribe: (pattern, handler, opts) =>
      maySubscribe(pattern)
        ? ev.subscribe(pattern, handler, opts)
        : Promise.reject(
            denied(plugin, `subscribe "${pattern}"`, `events.subscribe:<pattern covering "${pattern}">`, subHas),
          ),
    subscribeAll: (handler, opts) =>
      maySubscribe('>')
        ? ev.subscribeAll(handler, opts)
        : Promise.reject(denied(plugin, 'subscribeAll', 'events.subscribe:>', subHas)),
    unsubscribe: (id) => ev.unsubscribe(id),
  } satisfies EventsService);
}

function guardKv(plugin: string, sc: Scopes, kv: KVService): KVService {
  if (sc.kv) return kv;
  const no = (op: string) => Promise.reject(denied(plugin, `kv.${op}`, 'kv.readwrite'));
  return Object.freeze({
    get: () => no('get'),
    put: () => no('put'),
    delete: () => no('delete'),
    list: () => no('list'),
  });
}

function guardEdge(plugin: string, sc: Scopes, edge: EdgeService): EdgeService {
  const no = (op: string, need: string) => Promise.reject(denied(plugin, op, need));
  return Object.freeze({
    sendToControl: (payload, opts) =>
      sc.controlSend ? edge.sendToControl(payload, opts) : no('edge.sendToControl', 'control.send'),
    config: Object.freeze({
      get: (key: string) => (sc.configRead ? edge.config.get(key) : no('edge.config.get', 'config.read')),
      list: () => (sc.configRead ? edge.config.list() : no('edge.config.list', 'config.read')),
    }),
  } satisfies EdgeService);
}

function guardControl(plugin: string, sc: Scopes, control: ControlService): ControlService {
  const no = (op: string, need: string) => Promise.reject(denied(plugin, op, need));
  return Object.freeze({
    config: Object.freeze({
      get: (key, opts) => (sc.configRead ? control.config.get(key, opts) : no('control.config.get', 'config.read')),
      list: (opts) => (sc.configRead ? control.config.list(opts) : no('control.config.list', 'config.read')),
      put: (key, value, opts) =>
        sc.configWrite ? control.config.put(key, value, opts) : no('control.config.put', 'config.write'),
      delete: (key, opts) =>
        sc.configWrite ? control.config.delete(key, opts) : no('control.config.delete', 'config.write'),
    } satisfies ControlService['config']),
    edges: Object.freeze({
      list: () => (sc.edgesRead ? control.edges.list() : no('control.edges.list', 'edges.read')),
    }),
  } satisfies ControlService);
}

/**
 * The services a plugin may use under its scopes: every call outside them rejects with `HS_ERR_SCOPE_DENIED`
 * naming the plugin, the call and the scope it needs. Without scopes (no manifest) the services are returned
 * as they are. Publish and subscribe decisions are cached per topic.
 */
export function guardServices(plugin: string, scopes: Scopes | undefined, s: Services): Services {
  if (!scopes) return s;
  return Object.freeze({
    events: guardEvents(plugin, scopes, s.events),
    kv: guardKv(plugin, scopes, s.kv),
    logger: s.logger,
    ...(s.edge ? { edge: guardEdge(plugin, scopes, s.edge) } : {}),
    ...(s.control ? { control: guardControl(plugin, scopes, s.control) } : {}),
  });
}
