import type { ServerResponse } from 'node:http';
import type { HookBody, HookHeaders } from '@hubspoke/sdk';
import { bodyBytes } from './body.js';

/** HTTP status of each gateway error code. */
export const STATUS_OF: Readonly<Record<string, number>> = {
  HS_ERR_BAD_REQUEST: 400,
  HS_ERR_REQUEST_TOO_LARGE: 413,
  HS_ERR_ROUTE_NOT_FOUND: 404,
  HS_ERR_UNAUTHENTICATED: 401,
  HS_ERR_PLUGIN: 503,
  HS_ERR_UPSTREAM_UNREACHABLE: 502,
  HS_ERR_UPSTREAM_TIMEOUT: 504,
};

/** Sets hook headers on a response: each replaces the header of the same name. */
export function setHeaders(res: ServerResponse, headers: HookHeaders | undefined): void {
  if (!headers) return;
  for (const [k, v] of Object.entries(headers)) if (!HOP.has(k.toLowerCase())) res.setHeader(k, v);
}

// The gateway frames its own answers: framing and connection headers from a hook are not taken.
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade', 'te', 'trailer']);

/** Answers `status` with a JSON error `{ error: { code, message, requestId } }` (when nothing was sent yet). */
export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  requestId: string,
): number {
  if (res.headersSent) {
    res.destroy();
    return res.statusCode;
  }
  const body = JSON.stringify({ error: { code, message, requestId } });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-request-id': requestId,
  });
  res.end(body);
  return status;
}

/** Answers with a hook's status, headers and body (its `errorMessage` as JSON when it gave no body). */
export function sendBlock(
  res: ServerResponse,
  status: number,
  headers: HookHeaders | undefined,
  body: HookBody | undefined,
  fallback: { code: string; message: string; requestId: string },
): number {
  const bytes = body === undefined ? undefined : bodyBytes(body);
  res.statusCode = status;
  if (bytes === undefined) {
    res.setHeader('content-type', 'application/json');
    setHeaders(res, headers);
    const b = JSON.stringify({ error: fallback });
    res.setHeader('content-length', Buffer.byteLength(b));
    res.end(b);
  } else {
    if (typeof body === 'object' && !(body instanceof Uint8Array)) res.setHeader('content-type', 'application/json');
    setHeaders(res, headers);
    res.setHeader('content-length', bytes.length);
    res.end(bytes);
  }
  return status;
}

/** Resolves when `res` can take more (drain) or is gone (close); leaves no listener behind either way. */
export function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
