import type { App } from '@hubspoke/sdk';
import { bodyBytes } from './body.js';
import { callHook } from './call.js';
import type { CompiledEndpoint } from './endpoints.js';
import type { Exchange } from './exchange.js';
import type { GatewayParts } from './handle.js';
import { drained, setHeaders } from './respond.js';

/** Longest a custom endpoint may take to answer (a streamed answer then goes on as long as it streams). */
const ENDPOINT_ANSWER_MS = 30_000;

/** Calls a custom endpoint and writes its answer: unary (`body`) or streamed (`stream`, chunk by chunk). */
export async function serveEndpoint(
  p: GatewayParts,
  ex: Exchange,
  e: CompiledEndpoint,
  app: App | undefined,
): Promise<number> {
  const h = e.handler;
  const r = await callHook(
    {
      plugin: e.hosted.name,
      ctx: e.hosted.ctx,
      breaker: { allow: () => true, success() {}, failure() {} } as never,
      fn: (c, x: typeof ex.gw & { app?: App }) => h.handleEndpoint(c, x),
    },
    'handleEndpoint',
    app ? { ...ex.gw, app } : ex.gw,
    Math.max(ENDPOINT_ANSWER_MS, p.options.hookTimeoutMs),
  );
  const res = ex.res;
  res.statusCode = r.statusCode ?? 200;
  ex.status = res.statusCode;
  res.setHeader('x-request-id', ex.id);
  if (r.body !== undefined && typeof r.body === 'object' && !(r.body instanceof Uint8Array))
    res.setHeader('content-type', 'application/json');
  setHeaders(res, r.headers);
  if (r.stream) {
    let chunks = 0;
    res.flushHeaders();
    for await (const c of r.stream) {
      if (res.destroyed) break;
      chunks++;
      ex.responseBytes += c.length;
      if (!res.write(c)) await drained(res);
    }
    res.end();
    return chunks;
  }
  const bytes = r.body === undefined ? new Uint8Array(0) : bodyBytes(r.body);
  res.setHeader('content-length', bytes.length);
  ex.responseBytes = bytes.length;
  res.end(bytes);
  return 1;
}
