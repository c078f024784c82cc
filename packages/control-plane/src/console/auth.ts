import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import { tokensEqual } from '@hubspoke/sdk/internal';

/** The session cookie's name. */
export const COOKIE = 'hs_console';
/** The header a change must carry: the session's CSRF token. */
export const CSRF_HEADER = 'x-hs-csrf';

/** A logged-in browser. */
export interface Session {
  readonly id: string;
  /** Sent back by the page on every change (double submit: a cross-site form cannot read it). */
  readonly csrf: string;
  /** The path key of plugin assets: sandboxed plugin frames have an opaque origin and send no cookie. */
  readonly assetKey: string;
  expires: number;
}

/**
 * Compares a token with the expected one in constant time (both hashed first: lengths leak nothing either). The
 * one comparison the admin API uses too (`tokensEqual`, behind `adminTokenMatches`).
 */
export function tokenMatches(expected: string, given: string): boolean {
  return tokensEqual(given, expected);
}

function cookieOf(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return undefined;
}

/**
 * The console's sessions, in memory (a restart logs everyone out). A session lives `idleMs` from its last use.
 * The console speaks plain HTTP (loopback by default), so the cookie cannot be `Secure`: put a TLS proxy in front
 * to reach it from elsewhere.
 */
export class Sessions {
  private readonly byId = new Map<string, Session>();

  constructor(
    private readonly token: string,
    private readonly idleMs = 12 * 3600_000,
  ) {}

  /** Checks the admin token; returns a new session. */
  login(given: unknown): Session {
    if (typeof given !== 'string' || !tokenMatches(this.token, given)) {
      throw new HubspokeError(ErrorCode.Unauthenticated, 'wrong admin token');
    }
    this.sweep();
    const s: Session = {
      id: randomBytes(24).toString('base64url'),
      csrf: randomBytes(24).toString('base64url'),
      assetKey: randomBytes(18).toString('base64url'),
      expires: Date.now() + this.idleMs,
    };
    this.byId.set(s.id, s);
    return s;
  }

  logout(s: Session): void {
    this.byId.delete(s.id);
  }

  /** The `Set-Cookie` value of a session (or one that clears the cookie). */
  cookie(s: Session | undefined): string {
    const attrs = 'Path=/; HttpOnly; SameSite=Strict';
    return s ? `${COOKIE}=${s.id}; ${attrs}` : `${COOKIE}=; ${attrs}; Max-Age=0`;
  }

  /** The session of a request, renewed; throws HS_ERR_UNAUTHENTICATED without one. */
  require(req: IncomingMessage): Session {
    const s = this.find(req);
    if (!s)
      throw new HubspokeError(ErrorCode.Unauthenticated, 'no session: log in with the admin token (POST /api/login)');
    return s;
  }

  /** The session of a request, renewed, or undefined. */
  find(req: IncomingMessage): Session | undefined {
    const id = cookieOf(req);
    const s = id ? this.byId.get(id) : undefined;
    if (!s || s.expires < Date.now()) {
      if (s) this.byId.delete(s.id);
      return undefined;
    }
    s.expires = Date.now() + this.idleMs;
    return s;
  }

  /** The session whose plugin asset key this is, or undefined. */
  byAssetKey(key: string): Session | undefined {
    for (const s of this.byId.values()) if (s.assetKey === key && s.expires >= Date.now()) return s;
    return undefined;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, s] of this.byId) if (s.expires < now) this.byId.delete(id);
  }
}

/**
 * Refuses a change that a browser could have sent on another site's behalf: the Origin (when the browser sends
 * one; it does on every POST) must be the console's own, and the CSRF header must be the session's.
 */
export function checkChange(req: IncomingMessage, s: Session | undefined): void {
  checkOrigin(req);
  if (!s) return;
  const given = req.headers[CSRF_HEADER];
  if (typeof given !== 'string' || !tokenMatches(s.csrf, given)) {
    throw new HubspokeError(ErrorCode.Forbidden, `missing or wrong ${CSRF_HEADER} header`);
  }
}

/** The Origin of a request, if the browser sent one, must be `http(s)://<Host>`. */
export function checkOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  const host = req.headers.host ?? '';
  if (origin !== `http://${host}` && origin !== `https://${host}`) {
    throw new HubspokeError(ErrorCode.Forbidden, `origin ${origin} is not this console's (http://${host})`);
  }
}
