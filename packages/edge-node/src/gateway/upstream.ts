import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import type { Agent, Dispatcher } from 'undici';
import type { Exchange } from './exchange.js';
import { hopByHop } from './exchange.js';
import type { CompiledRoute } from './table.js';

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * Headers for the upstream: the client's (as hooks left them) minus hop-by-hop ones, plus the request id and
 * `x-forwarded-for`. Unchanged by hooks, they are copied from the raw header list (a flat array undici takes as
 * it is: every value kept, no object built per request).
 */
export function upstreamHeaders(ex: Exchange, bodyReplaced: boolean): string[] | Record<string, string | string[]> {
  const src = ex.gw.headers;
  const hop = hopByHop(ex.req.headers);
  const xff = src['x-forwarded-for'];
  const forwarded = xff ? `${xff.join(', ')}, ${ex.gw.clientIp}` : ex.gw.clientIp;
  if (!ex.headersChanged) {
    const raw = ex.req.rawHeaders;
    const out: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const k = (raw[i] as string).toLowerCase();
      if (hop(k) || k === 'x-forwarded-for' || k === 'x-request-id' || (bodyReplaced && k === 'content-length'))
        continue;
      out.push(k, raw[i + 1] as string);
    }
    out.push('x-request-id', ex.id, 'x-forwarded-for', forwarded);
    return out;
  }
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(src)) {
    if (hop(k) || (bodyReplaced && k === 'content-length')) continue;
    out[k] = v.length === 1 ? (v[0] as string) : v;
  }
  out['x-request-id'] = ex.id;
  out['x-forwarded-for'] = forwarded;
  return out;
}

/**
 * Sends the request upstream, within the route; resolves when the upstream's status and headers are in. Fails
 * with `HS_ERR_UPSTREAM_TIMEOUT` past `route.timeoutMs`, `HS_ERR_UPSTREAM_UNREACHABLE` when it cannot be reached,
 * `HS_ERR_REQUEST_TOO_LARGE` when the client's body passes the limit on its way.
 */
export async function callUpstream(
  agent: Agent,
  ex: Exchange,
  route: CompiledRoute,
  rest: string,
  query: string,
): Promise<Dispatcher.ResponseData> {
  const body = ex.body.upstream();
  const opts: Dispatcher.RequestOptions = {
    origin: route.origin,
    path: route.basePath + rest + (query ? `?${query}` : ''),
    method: ex.gw.method as Dispatcher.HttpMethod,
    headers: upstreamHeaders(ex, ex.body.replaced !== undefined),
    signal: ex.abort as unknown as AbortSignal,
    headersTimeout: route.timeoutMs,
    bodyTimeout: route.timeoutMs,
  };
  if (body !== undefined) opts.body = body as NonNullable<Dispatcher.DispatchOptions['body']>;
  try {
    return await agent.request(opts);
  } catch (err) {
    if (ex.body.overLimit) throw new HubspokeError(ErrorCode.RequestTooLarge, (err as Error).message, { cause: err });
    const code = (err as { code?: string }).code ?? '';
    if (TIMEOUT_CODES.has(code))
      throw new HubspokeError(
        ErrorCode.UpstreamTimeout,
        `route ${route.name}: no answer within ${route.timeoutMs} ms`,
        {
          cause: err,
        },
      );
    throw new HubspokeError(
      ErrorCode.UpstreamUnreachable,
      `route ${route.name}: ${(err as Error).message}${code ? ` (${code})` : ''}`,
      { cause: err },
    );
  }
}
