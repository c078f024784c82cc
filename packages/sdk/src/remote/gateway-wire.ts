import type { GatewayRequest } from '../gateway/types.js';

/** The gateway hooks a plugin may implement, by SDK method name (the `hook` of a GatewayCall). */
export const GATEWAY_HOOKS = [
  'handlePreAuth',
  'handleAuth',
  'getAppByCredential',
  'getUserByCredential',
  'handlePostAuth',
  'onBeforeWriteHeaders',
  'onBeforeWrite',
  'onStreamComplete',
  'handleProxyLog',
  'handleAnalytics',
  'handleBudgetUsage',
  'handleEndpoint',
] as const;

/** One of {@link GATEWAY_HOOKS}. */
export type GatewayHook = (typeof GATEWAY_HOOKS)[number];

/** The hooks whose argument is a request, or holds one as `request`. */
const REQUEST_ARG: ReadonlySet<string> = new Set(['handlePreAuth', 'handlePostAuth', 'handleEndpoint']);
const HOLDS_REQUEST: ReadonlySet<string> = new Set([
  'handleAuth',
  'onBeforeWriteHeaders',
  'onBeforeWrite',
  'onStreamComplete',
]);

/** The gateway hooks `plugin` implements. */
export function gatewayHooksOf(plugin: object): GatewayHook[] {
  const p = plugin as Record<string, unknown>;
  return GATEWAY_HOOKS.filter((h) => typeof p[h] === 'function');
}

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const orig = this[key];
  if (orig instanceof Uint8Array)
    return { $b64: Buffer.from(orig.buffer, orig.byteOffset, orig.byteLength).toString('base64') };
  if (orig instanceof Date) return { $date: orig.getTime() };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>;
    if (typeof v['$b64'] === 'string') return new Uint8Array(Buffer.from(v['$b64'], 'base64'));
    if (typeof v['$date'] === 'number') return new Date(v['$date']);
  }
  return value;
}

/** JSON of a hook argument or result: bytes as `{ $b64 }`, dates as `{ $date }`; functions left out. */
export function encodeGateway(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value, replacer);
}

/** The value of {@link encodeGateway}'s JSON (`undefined` for an empty string). */
export function decodeGateway(json: string): unknown {
  return json === '' ? undefined : JSON.parse(json, reviver);
}

type WireRequest = Omit<GatewayRequest, 'body'> & { bodyBytes?: Uint8Array };

function revive(r: WireRequest): GatewayRequest {
  const bytes = r.bodyBytes ?? new Uint8Array(0);
  delete r.bodyBytes;
  return Object.assign(r, { body: () => Promise.resolve(bytes) });
}

/** A decoded argument made whole again on the plugin's side: requests get their `body()`. */
export function reviveArgument(hook: string, arg: unknown): unknown {
  if (REQUEST_ARG.has(hook)) return revive(arg as WireRequest);
  if (HOLDS_REQUEST.has(hook)) {
    const a = arg as { request: WireRequest };
    a.request = revive(a.request) as unknown as WireRequest;
  }
  return arg;
}

/**
 * A hook argument as it goes over the wire from the host: a request hook's request carries its body (read here,
 * once), a response hook's request goes without it.
 */
export async function wireArgument(hook: string, arg: unknown): Promise<unknown> {
  if (hook === 'handlePreAuth' || hook === 'handlePostAuth' || hook === 'handleEndpoint') {
    const r = arg as GatewayRequest;
    return { ...r, bodyBytes: await r.body() };
  }
  if (hook === 'handleAuth') {
    const a = arg as { credential: string; request: GatewayRequest };
    return { ...a, request: { ...a.request, bodyBytes: await a.request.body() } };
  }
  return arg;
}
