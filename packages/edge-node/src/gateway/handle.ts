import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  ErrorCode,
  HubspokeError,
  isHubspokeError,
  type Analytics,
  type AuthenticatedRequest,
  type BudgetUsage,
  type GatewayRequest,
  type ProxyLog,
  type PluginResponse,
} from '@hubspoke/sdk';
import type { Logger as Pino } from 'pino';
import type { Agent } from 'undici';
import { credentialOf, type Authenticator, type Principal } from './auth.js';
import { bodyBytes, RequestBody, tooLarge } from './body.js';
import { callHook, type Hook } from './call.js';
import type { AuthHook } from './chain.js';
import { serveEndpoint } from './endpoint-call.js';
import { matchEndpoint, type CompiledEndpoint } from './endpoints.js';
import { ClientGone, type Exchange } from './exchange.js';
import type { GatewayCounters } from './gateway.js';
import type { ParsedGatewayOptions } from './options.js';
import { sendBlock, sendError, STATUS_OF } from './respond.js';
import { writeResponse } from './response.js';
import { matchRoute, type CompiledRoute, type GatewayTable } from './table.js';
import type { Telemetry } from './telemetry.js';
import { callUpstream } from './upstream.js';
import { METHODS, pathProblem, splitTarget } from './validate.js';

/** What the request path reads; `table` is swapped whole when config changes. */
export interface GatewayParts {
  readonly options: ParsedGatewayOptions;
  readonly edgeId: string;
  readonly log: Pino;
  table: GatewayTable;
  readonly endpoints: ReadonlyMap<string, CompiledEndpoint[]>;
  /** Every AuthHandler of the edge (custom endpoints with `requireAuth`). */
  readonly edgeAuth: readonly AuthHook[];
  readonly auth: Authenticator;
  readonly agent: Agent;
  readonly telemetry: Telemetry;
  readonly counters: GatewayCounters;
  readonly newId: () => string;
}

/** Where a request is going: the route's path after its prefix (a hook may change it). */
interface Target {
  rest: string;
}

/** Answers a coded error with its status; counts it. */
function fail(p: GatewayParts, ex: Exchange, err: unknown): void {
  const code = isHubspokeError(err) ? err.code : ErrorCode.Internal;
  const status = STATUS_OF[code] ?? 500;
  if (code === ErrorCode.Plugin) p.counters.pluginFailures++;
  else if (code === ErrorCode.UpstreamTimeout || code === ErrorCode.UpstreamUnreachable) p.counters.upstreamErrors++;
  else p.counters.refused++;
  if (status >= 500) p.log.warn({ err: String(err), requestId: ex.id, route: ex.route }, 'gateway request failed');
  ex.status = sendError(ex.res, status, code, (err as Error).message ?? String(err), ex.id);
}

function block(p: GatewayParts, ex: Exchange, r: PluginResponse, defaultStatus: number, plugin: string): void {
  p.counters.blocked++;
  ex.res.setHeader('x-request-id', ex.id);
  ex.status = sendBlock(ex.res, r.statusCode ?? defaultStatus, r.headers, r.body, {
    code: `blocked by ${plugin}`,
    message: r.errorMessage ?? 'blocked',
    requestId: ex.id,
  });
}

/** Applies a hook's changes to the request: headers replace those of the same name; path; body. */
function applyChange(ex: Exchange, t: Target, m: NonNullable<PluginResponse['request']>, plugin: string): void {
  if (m.headers) {
    const h = { ...ex.gw.headers };
    for (const [k, v] of Object.entries(m.headers)) h[k.toLowerCase()] = Array.isArray(v) ? v : [v];
    ex.gw = { ...ex.gw, headers: h };
    ex.headersChanged = true;
  }
  if (m.path !== undefined) {
    const problem = pathProblem(m.path);
    if (problem)
      throw new HubspokeError(ErrorCode.Plugin, `plugin ${plugin}: request.path ${JSON.stringify(m.path)} ${problem}`);
    t.rest = m.path;
  }
  if (m.body !== undefined) ex.body.replaced = bodyBytes(m.body);
}

/** Runs request hooks in order; true when one blocked (the answer is sent). A failure throws (fail closed). */
async function runRequestHooks<A extends GatewayRequest>(
  p: GatewayParts,
  ex: Exchange,
  t: Target,
  hooks: readonly Hook<A, PluginResponse | void>[],
  step: string,
  arg: () => A,
): Promise<boolean> {
  for (const hook of hooks) {
    const r = await callHook(hook, step, arg(), p.options.hookTimeoutMs);
    if (!r) continue;
    if (r.block) {
      block(p, ex, r, 403, hook.plugin);
      return true;
    }
    if (r.request) applyChange(ex, t, r.request, hook.plugin);
  }
  return false;
}

function finish(
  p: GatewayParts,
  ex: Exchange,
  route: CompiledRoute | undefined,
  chunks: number,
  proxied: boolean,
): void {
  const latencyMs = performance.now() - ex.start;
  if (proxied && route && !('error' in route.chain)) {
    for (const hook of route.chain.complete) {
      callHook(
        hook,
        'onStreamComplete',
        { request: ex.gw, statusCode: ex.status, chunks, bytes: ex.responseBytes },
        p.options.hookTimeoutMs,
      ).catch((err: unknown) =>
        p.log.warn({ err: String(err), requestId: ex.id }, 'onStreamComplete failed (fail open)'),
      );
    }
  }
  // Records built as plain literals (no spreads): this runs for every request.
  const timestamp = new Date(ex.startWall);
  const log: ProxyLog = {
    requestId: ex.id,
    route: ex.route,
    method: ex.gw.method,
    path: ex.gw.path,
    statusCode: ex.status,
    latencyMs,
    requestBytes: ex.body.replaced?.length ?? ex.body.bytes,
    responseBytes: ex.responseBytes,
    edgeId: p.edgeId,
    timestamp,
  };
  if (ex.appId !== undefined) log.appId = ex.appId;
  if (ex.userId !== undefined) log.userId = ex.userId;
  p.telemetry.emit({ kind: 'log', record: log });
  const u = ex.usage;
  if (!u) return;
  const a: Analytics = {
    requestId: ex.id,
    route: ex.route,
    model: u.model,
    promptTokens: u.promptTokens,
    completionTokens: u.completionTokens,
    totalTokens: u.totalTokens,
    edgeId: p.edgeId,
    timestamp,
  };
  if (ex.appId !== undefined) a.appId = ex.appId;
  p.telemetry.emit({ kind: 'analytics', record: a });
  const prices = route?.prices;
  if (prices) {
    const b: BudgetUsage = {
      requestId: ex.id,
      route: ex.route,
      model: u.model,
      promptTokens: u.promptTokens,
      completionTokens: u.completionTokens,
      cost: (u.promptTokens / 1000) * prices.promptPer1k + (u.completionTokens / 1000) * prices.completionPer1k,
      currency: prices.currency,
      edgeId: p.edgeId,
      timestamp,
    };
    if (ex.appId !== undefined) b.appId = ex.appId;
    p.telemetry.emit({ kind: 'budget', record: b });
  }
}

/**
 * One request, in the order API.md fixes: checks (method, path, size: 4xx, before any hook) → route → preAuth →
 * auth → postAuth → upstream → onBeforeWriteHeaders → onBeforeWrite → onStreamComplete → collectors. Request hooks
 * fail closed (503 HS_ERR_PLUGIN); response and collector hooks fail open. One ProxyLog per request, whatever
 * became of it; records leave once the response is over (or the client went away: status 499).
 */
export async function handleRequest(p: GatewayParts, req: IncomingMessage, res: ServerResponse): Promise<void> {
  p.counters.requests++;
  const method = req.method ?? '';
  const { path, query } = splitTarget(req.url ?? '');
  const body = new RequestBody(req, p.options.maxBodyBytes);
  const ex: Exchange = {
    id: p.newId(),
    start: performance.now(),
    startWall: Date.now(),
    req,
    res,
    body,
    gw: {
      id: '',
      method,
      path,
      query,
      headers: req.headersDistinct as Record<string, string[]>,
      clientIp: req.socket.remoteAddress ?? '',
      route: '',
      body: () => body.read(),
    },
    headersChanged: false,
    route: '',
    appId: undefined,
    userId: undefined,
    status: 0,
    responseBytes: 0,
    usage: undefined,
    abort: new ClientGone(),
  };
  ex.gw.id = ex.id;
  let route: CompiledRoute | undefined;
  let chunks = 0;
  let proxied = false;
  res.once('close', () => {
    if (!res.writableFinished) {
      ex.abort.abort();
      if (!res.headersSent || ex.status === 0) ex.status = 499;
    }
    finish(p, ex, route, chunks, proxied);
  });
  try {
    if (!METHODS.has(method)) {
      ex.status = sendError(res, 405, ErrorCode.BadRequest, `method ${method} is not allowed`, ex.id);
      p.counters.refused++;
      return;
    }
    const problem = pathProblem(path);
    if (problem) throw new HubspokeError(ErrorCode.BadRequest, `path ${JSON.stringify(path)} ${problem}`);
    const len = Number(req.headers['content-length'] ?? 0);
    if (len > p.options.maxBodyBytes) throw tooLarge(p.options.maxBodyBytes);
    if (path.startsWith('/plugins/')) {
      const m = matchEndpoint(p.endpoints, path, method);
      if (!m) throw new HubspokeError(ErrorCode.RouteNotFound, `no endpoint for ${path}`);
      if ('methodRefused' in m) {
        ex.status = sendError(res, 405, ErrorCode.BadRequest, `method ${method} is not allowed on ${path}`, ex.id);
        p.counters.refused++;
        return;
      }
      ex.route = ex.gw.route = `plugins/${m.endpoint.hosted.name}`;
      let app: Principal | undefined;
      if (m.endpoint.requireAuth) app = await authenticate(p, ex, p.edgeAuth);
      chunks = await serveEndpoint(p, ex, m.endpoint, app?.app);
      return;
    }
    const found = matchRoute(p.table, path);
    if (!found) throw new HubspokeError(ErrorCode.RouteNotFound, `no route for ${path}`);
    route = found.route;
    ex.route = ex.gw.route = route.name;
    const chain = route.chain;
    if ('error' in chain) throw new HubspokeError(ErrorCode.Plugin, chain.error);
    const t: Target = { rest: found.rest };
    if (await runRequestHooks(p, ex, t, chain.preAuth, 'handlePreAuth', () => ex.gw)) return;
    const who = await authenticate(p, ex, chain.auth);
    if (chain.postAuth.length > 0) {
      const arg = (): AuthenticatedRequest =>
        who.user ? { ...ex.gw, app: who.app, user: who.user } : { ...ex.gw, app: who.app };
      if (await runRequestHooks(p, ex, t, chain.postAuth, 'handlePostAuth', arg)) return;
    }
    const up = await callUpstream(p.agent, ex, route, t.rest, query);
    proxied = true;
    try {
      chunks = (await writeResponse(ex, chain, up, p.options.hookTimeoutMs, p.log)).chunks;
    } catch (err) {
      if (!res.destroyed) res.destroy(err as Error);
    }
  } catch (err) {
    if (res.writableEnded || res.destroyed) return;
    fail(p, ex, err);
  }
}

async function authenticate(p: GatewayParts, ex: Exchange, hooks: readonly AuthHook[]): Promise<Principal> {
  const who = await p.auth.authenticate(p.table, hooks, ex.gw, credentialOf(ex.gw.headers));
  ex.appId = who.app.id;
  ex.userId = who.user?.id;
  return who;
}
