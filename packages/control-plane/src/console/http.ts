import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, HubspokeError, isHubspokeError } from '@hubspoke/sdk';

/** The largest JSON body the console accepts (a config value, a plugin RPC payload). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Headers every console response carries. */
export const BASE_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

/** Answers JSON, never cached. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...BASE_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** Answers an error as `{ error: { code, message } }` with a status that fits its code. */
export function sendError(res: ServerResponse, err: unknown): void {
  const message = (err as Error)?.message ?? String(err);
  const code = isHubspokeError(err) ? err.code : ErrorCode.Internal;
  sendJson(res, statusOf(err), { error: { code, message } });
}

const STATUS: Partial<Record<string, number>> = {
  [ErrorCode.Unauthenticated]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.InvalidArgument]: 400,
  [ErrorCode.InvalidName]: 400,
  [ErrorCode.InvalidKey]: 400,
  [ErrorCode.ConfigInvalid]: 400,
  [ErrorCode.ConfigRejected]: 409,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.NotSupported]: 501,
  [ErrorCode.NotConnected]: 503,
  [ErrorCode.JetStreamUnavailable]: 503,
  [ErrorCode.Closed]: 503,
};

function statusOf(err: unknown): number {
  if (!isHubspokeError(err)) return 500;
  return STATUS[err.code] ?? 500;
}

/** Reads a JSON body of at most {@link MAX_BODY_BYTES}; an empty body is `{}`. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY_BYTES) {
      throw new HubspokeError(ErrorCode.InvalidArgument, `request body above ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(c);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (cause) {
    throw new HubspokeError(ErrorCode.InvalidArgument, `request body is not JSON: ${(cause as Error).message}`);
  }
}

/** `host:port` split; port 0 picks a free one. */
export function splitListen(what: string, listen: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(listen);
  if (!m || Number(m[2]) > 65535) {
    throw new HubspokeError(ErrorCode.ConfigInvalid, `${what}: ${JSON.stringify(listen)} is not host:port`);
  }
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}
