import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayRequest } from '@hubspoke/sdk';
import type { RequestBody } from './body.js';
import type { Usage } from './usage.js';

/** One request on its way through the gateway: what the hooks see, and what its records will say. */
export interface Exchange {
  readonly id: string;
  /** performance.now() at arrival. */
  readonly start: number;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly body: RequestBody;
  /** The request as hooks see it (its headers change as hooks change them). */
  gw: GatewayRequest;
  route: string;
  appId: string | undefined;
  userId: string | undefined;
  status: number;
  responseBytes: number;
  usage: Usage | undefined;
  model: string;
  /** Aborted when the client goes away: the upstream request ends with it. */
  readonly abort: AbortController;
}

const HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
]);

/** True for hop-by-hop headers (never forwarded either way), including those the `connection` header names. */
export function hopByHop(headers: Record<string, string[] | string | undefined>): (name: string) => boolean {
  const named = headers['connection'];
  if (!named) return (n) => HOP.has(n);
  const extra = new Set(
    (Array.isArray(named) ? named.join(',') : named)
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  return (n) => HOP.has(n) || extra.has(n);
}
