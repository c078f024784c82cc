import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import type { Agent, Dispatcher } from 'undici';
import type { Exchange } from './exchange.js';
import { hopByHop } from './exchange.js';
import type { CompiledRoute } from './table.js';

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Headers for the upstream: the client's (as hooks left them) minus hop-by-hop ones, plus id and trace. */
export function upstreamHeaders(ex: Exchange, bodyReplaced: boolean): Record<string, string | string[]> {
  const src = ex.gw.headers;
  const hop = hopByHop(src);
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(src)) {
    if (hop(k) || (bodyReplaced && k === 'content-length')) continue;
    out[k] = v.length === 1 ? (v[0] as string) : v;
  }
  out['x-request-id'] = ex.id;
  const xff = src['x-forwarded-for'];
  out['x-forwarded-for'] = xff ? `${xff.join(', ')}, ${ex.gw.clientIp}` : ex.gw.clientIp;
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
    signal: ex.abort.signal,
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
