import type { Dispatcher } from 'undici';
import type { Logger as Pino } from 'pino';
import { callHook } from './call.js';
import type { HookChain } from './chain.js';
import type { Exchange } from './exchange.js';
import { hopByHop } from './exchange.js';
import { drained } from './respond.js';
import { SseSplitter } from './sse.js';
import { usageFromJson, usageFromSseEvent } from './usage.js';

/** Bytes of a JSON response kept to read its `usage` when no hook needs the whole body. */
const USAGE_CAPTURE_BYTES = 1024 * 1024;

type Headers = Record<string, string[]>;

function toLists(h: Dispatcher.ResponseData['headers']): Headers {
  const out: Headers = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v : [v];
  return out;
}

async function write(ex: Exchange, chunk: Uint8Array): Promise<void> {
  ex.responseBytes += chunk.length;
  if (!ex.res.write(chunk)) await drained(ex.res);
}

/**
 * Writes the upstream's answer to the client: `onBeforeWriteHeaders` first (status and headers), then the body.
 * A streamed body (SSE, or no length) goes on chunk by chunk as it arrives, SSE event by event, through
 * `onBeforeWrite` with `isStreamChunk: true`; a body of known length goes through `onBeforeWrite` whole. With no
 * `onBeforeWrite` hook, chunks are written as they come. Response hooks fail open: a failure is logged and the
 * answer goes on unchanged. The usage of an OpenAI-style answer (JSON, or the SSE event carrying it) is noted.
 */
export async function writeResponse(
  ex: Exchange,
  chain: HookChain,
  up: Dispatcher.ResponseData,
  hookMs: number,
  log: Pino,
): Promise<{ chunks: number }> {
  let status = up.statusCode;
  const ctype = String(up.headers['content-type'] ?? '');
  const sse = ctype.includes('text/event-stream');
  const json = !sse && ctype.includes('json');
  const hop = hopByHop(up.headers);
  let headers: Headers | Record<string, string | string[] | undefined> = up.headers;
  if (chain.headers.length > 0) {
    const h = toLists(up.headers);
    for (const hook of chain.headers) {
      try {
        const r = await callHook(
          hook,
          'onBeforeWriteHeaders',
          { request: ex.gw, statusCode: status, headers: h },
          hookMs,
        );
        if (r?.statusCode) status = r.statusCode;
        if (r?.headers) for (const [k, v] of Object.entries(r.headers)) h[k.toLowerCase()] = Array.isArray(v) ? v : [v];
      } catch (err) {
        log.warn({ err: String(err), requestId: ex.id }, 'onBeforeWriteHeaders failed (fail open)');
      }
    }
    headers = h;
  }
  const res = ex.res;
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !hop(k)) res.setHeader(k, v);
  res.setHeader('x-request-id', ex.id);
  res.statusCode = status;
  ex.status = status;
  const streamed = sse || up.headers['content-length'] === undefined;
  let chunks = 0;
  const hooks = chain.write;
  const onChunk = async (chunk: Uint8Array, isStreamChunk: boolean): Promise<Uint8Array> => {
    let c = chunk;
    for (const hook of hooks) {
      try {
        const r = await callHook(hook, 'onBeforeWrite', { request: ex.gw, chunk: c, isStreamChunk }, hookMs);
        if (r?.chunk) c = r.chunk;
      } catch (err) {
        log.warn({ err: String(err), requestId: ex.id }, 'onBeforeWrite failed (fail open)');
      }
    }
    return c;
  };
  if (hooks.length > 0 && !streamed) {
    const parts: Buffer[] = [];
    for await (const c of up.body as AsyncIterable<Buffer>) parts.push(c);
    const whole = Buffer.concat(parts);
    if (json) ex.usage = usageFromJson(whole);
    const out = await onChunk(whole, false);
    res.setHeader('content-length', out.length);
    chunks = 1;
    ex.responseBytes += out.length;
    res.end(out);
    return { chunks };
  }
  // A streamed answer sends its head at once (the client may wait for it: SSE); one of known length goes with
  // its first chunk.
  if (streamed) {
    res.removeHeader('content-length');
    res.flushHeaders();
  }
  const splitter = sse ? new SseSplitter() : undefined;
  const captured: Buffer[] = [];
  let capturedBytes = 0;
  for await (const c of up.body as AsyncIterable<Buffer>) {
    if (res.destroyed) break;
    if (splitter) {
      for (const ev of splitter.push(c)) {
        const u = usageFromSseEvent(ev);
        if (u) ex.usage = u;
        chunks++;
        await write(ex, hooks.length > 0 ? await onChunk(ev, true) : ev);
      }
      continue;
    }
    if (json && capturedBytes < USAGE_CAPTURE_BYTES) {
      captured.push(c);
      capturedBytes += c.length;
    }
    chunks++;
    await write(ex, hooks.length > 0 ? await onChunk(c, true) : c);
  }
  const tail = splitter?.end();
  if (tail && !res.destroyed) {
    chunks++;
    await write(ex, hooks.length > 0 ? await onChunk(tail, true) : tail);
  }
  if (json && capturedBytes < USAGE_CAPTURE_BYTES) ex.usage = usageFromJson(Buffer.concat(captured));
  if (!res.destroyed) res.end();
  return { chunks };
}
