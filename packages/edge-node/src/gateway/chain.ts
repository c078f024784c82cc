import {
  capabilities,
  type AuthRequest,
  type AuthResult,
  type AuthenticatedRequest,
  type AuthHandler,
  type GatewayRequest,
  type PluginResponse,
  type ResponseChunk,
  type ResponseHeadersChange,
  type ResponseHeadersInfo,
  type StreamCompleteInfo,
} from '@hubspoke/sdk';
import type { HostedPlugin } from '@hubspoke/runtime';
import type { Breaker } from './breaker.js';
import type { Hook } from './call.js';

/** An AuthHandler with its three methods bound. */
export interface AuthHook extends Hook<AuthRequest, AuthResult> {
  readonly handler: AuthHandler;
}

/** The hooks of one route, in load order, compiled when config changes (never looked up per request). */
export interface HookChain {
  readonly preAuth: readonly Hook<GatewayRequest, PluginResponse | void>[];
  /** Empty: built-in key auth. */
  readonly auth: readonly AuthHook[];
  readonly postAuth: readonly Hook<AuthenticatedRequest, PluginResponse | void>[];
  readonly headers: readonly Hook<ResponseHeadersInfo, ResponseHeadersChange | void>[];
  readonly write: readonly Hook<ResponseChunk, { chunk?: Uint8Array } | void>[];
  readonly complete: readonly Hook<StreamCompleteInfo, void>[];
}

/** The plugins whose hooks a route runs: those it lists, or every request-path plugin; or the name it lacks. */
export function routePlugins(
  hosted: readonly HostedPlugin[],
  listed: readonly string[] | undefined,
): HostedPlugin[] | { missing: string } {
  if (listed === undefined) return hosted.filter((h) => capabilities.isRequestPathPlugin(h.plugin));
  const out: HostedPlugin[] = [];
  for (const name of listed) {
    const h = hosted.find((x) => x.name === name);
    if (!h) return { missing: name };
    out.push(h);
  }
  return out;
}

/** Builds a route's chain from its plugins (in the order given), each hook bound to its plugin's breaker. */
export function compileChain(plugins: readonly HostedPlugin[], breakerOf: (plugin: string) => Breaker): HookChain {
  const chain = {
    preAuth: [] as Hook<GatewayRequest, PluginResponse | void>[],
    auth: [] as AuthHook[],
    postAuth: [] as Hook<AuthenticatedRequest, PluginResponse | void>[],
    headers: [] as Hook<ResponseHeadersInfo, ResponseHeadersChange | void>[],
    write: [] as Hook<ResponseChunk, { chunk?: Uint8Array } | void>[],
    complete: [] as Hook<StreamCompleteInfo, void>[],
  };
  for (const h of plugins) {
    const p = h.plugin as unknown as Record<string, unknown>;
    const base = { plugin: h.name, ctx: h.ctx, breaker: breakerOf(h.name) };
    const bind = <A, R>(name: string) => (p[name] as (c: unknown, a: A) => Promise<R>).bind(p);
    if (capabilities.isPreAuthHandler(p)) chain.preAuth.push({ ...base, fn: bind('handlePreAuth') });
    if (capabilities.isAuthHandler(p)) chain.auth.push({ ...base, fn: bind('handleAuth'), handler: p });
    if (capabilities.isPostAuthHandler(p)) chain.postAuth.push({ ...base, fn: bind('handlePostAuth') });
    if (typeof p['onBeforeWriteHeaders'] === 'function')
      chain.headers.push({ ...base, fn: bind('onBeforeWriteHeaders') });
    if (typeof p['onBeforeWrite'] === 'function') chain.write.push({ ...base, fn: bind('onBeforeWrite') });
    if (capabilities.isStreamCompleteHandler(p)) chain.complete.push({ ...base, fn: bind('onStreamComplete') });
  }
  return chain;
}
