import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayRequest } from '@hubspoke/sdk';
import type { RequestBody } from './body.js';
import type { Usage } from './usage.js';

/** One request on its way through the gateway: what the hooks see, and what its records will say. */
export interface Exchange {
  readonly id: string;
  /** performance.now() at arrival. */
  readonly start: number;
  /** Date.now() at arrival (the records' timestamp). */
  readonly startWall: number;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly body: RequestBody;
  /** The request as hooks see it (its headers change as hooks change them). */
  gw: GatewayRequest;
  /** Set once a hook changed the headers (the upstream then gets `gw.headers`, else the raw list). */
  headersChanged: boolean;
  route: string;
  appId: string | undefined;
  userId: string | undefined;
  status: number;
  responseBytes: number;
  usage: Usage | undefined;
  /** Aborted when the client goes away: the upstream request ends with it. */
  readonly abort: ClientGone;
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
const isHop = (n: string): boolean => HOP.has(n);

export function hopByHop(headers: Record<string, string[] | string | undefined>): (name: string) => boolean {
  const named = headers['connection'];
  if (!named || named === 'keep-alive' || named === 'close') return isHop;
  const extra = new Set(
    (Array.isArray(named) ? named.join(',') : named)
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  return (n) => HOP.has(n) || extra.has(n);
}

/**
 * What undici's `signal` option needs (an EventTarget's `aborted`, `reason`, add/removeEventListener for one
 * listener), without an AbortController per request: that was a visible share of a request's cost.
 */
export class ClientGone {
  aborted = false;
  reason: Error | undefined;
  private listener: (() => void) | undefined;

  addEventListener(_type: 'abort', fn: () => void): void {
    this.listener = fn;
  }

  removeEventListener(_type: 'abort', _fn: () => void): void {
    this.listener = undefined;
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = Object.assign(new Error('the client went away'), { name: 'AbortError' });
    const fn = this.listener;
    this.listener = undefined;
    fn?.();
  }
}
