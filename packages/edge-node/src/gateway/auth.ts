import { ErrorCode, HubspokeError, type App, type AuthResult, type GatewayRequest, type User } from '@hubspoke/sdk';
import { callHook } from './call.js';
import type { AuthHook } from './chain.js';
import { credentialHash, type GatewayTable } from './table.js';

/** Who a request acts for, once authenticated. */
export interface Principal {
  app: App;
  user: User | undefined;
}

interface Cached {
  at: number;
  principal: Principal | undefined;
  why: string | undefined;
}

const MAX_CACHED = 10_000;

/** The credential of a request: the Bearer token, else the whole `Authorization` value, else `x-api-key`. */
export function credentialOf(headers: Record<string, string[]>): string {
  const a = headers['authorization']?.[0];
  if (a !== undefined) {
    const m = /^Bearer\s+(.+)$/i.exec(a.trim());
    return m ? (m[1] as string).trim() : a.trim();
  }
  return headers['x-api-key']?.[0]?.trim() ?? '';
}

function unauthenticated(why: string): HubspokeError {
  return new HubspokeError(ErrorCode.Unauthenticated, why);
}

/**
 * The auth step. With no AuthHandler on the route: built-in key auth, the sha256 of the credential against the
 * active apps' credentials (a map lookup). Otherwise the route's AuthHandlers in order, first authenticated answer
 * wins; answers (negative ones too) are cached per credential and handler set until the config changes or
 * `cacheMs` passes. Throws `HS_ERR_UNAUTHENTICATED` (401) or, when a handler fails, `HS_ERR_PLUGIN` (503).
 */
export class Authenticator {
  private cache = new Map<string, Cached>();
  /** Credential → its sha256 hex: a key is hashed once, not on every request (bounded). */
  private readonly hashes = new Map<string, string>();

  constructor(
    private readonly hookTimeoutMs: number,
    private readonly cacheMs: number,
  ) {}

  /** Forgets every cached answer (config changed: apps revoked or added). */
  clear(): void {
    this.cache = new Map();
  }

  async authenticate(
    table: GatewayTable,
    hooks: readonly AuthHook[],
    req: GatewayRequest,
    credential: string,
  ): Promise<Principal> {
    if (hooks.length === 0) {
      if (!credential) throw unauthenticated('no credential (send Authorization: Bearer <key>)');
      let h = this.hashes.get(credential);
      if (h === undefined) {
        if (this.hashes.size >= MAX_CACHED) this.hashes.clear();
        this.hashes.set(credential, (h = credentialHash(credential)));
      }
      const found = table.keys.get(h);
      if (!found) throw unauthenticated('no active app holds this credential');
      return { app: found.app, user: found.userId === undefined ? undefined : table.users.get(found.userId) };
    }
    const key = `${hooks.map((h) => h.plugin).join(',')}\n${credential}`;
    const hit = credential && this.cacheMs > 0 ? this.cache.get(key) : undefined;
    if (hit && Date.now() - hit.at < this.cacheMs) {
      if (hit.principal) return hit.principal;
      throw unauthenticated(hit.why ?? 'refused');
    }
    let why = 'no auth handler authenticated the credential';
    let principal: Principal | undefined;
    for (const hook of hooks) {
      const r: AuthResult = await callHook(hook, 'handleAuth', { credential, request: req }, this.hookTimeoutMs);
      if (!r?.authenticated) {
        if (r?.errorMessage) why = `${hook.plugin}: ${r.errorMessage}`;
        continue;
      }
      const h = hook.handler;
      const app = (await callHook(
        { ...hook, fn: (c, x: string) => h.getAppByCredential(c, x) },
        'getAppByCredential',
        credential,
        this.hookTimeoutMs,
      )) ??
        (r.appId ? table.apps.get(r.appId) : undefined) ?? {
          id: r.appId ?? '',
          name: r.appId ?? '',
          active: true,
          metadata: {},
        };
      if (!app.active) {
        why = `app ${app.id} is not active`;
        break;
      }
      const user =
        (await callHook(
          { ...hook, fn: (c, x: string) => h.getUserByCredential(c, x) },
          'getUserByCredential',
          credential,
          this.hookTimeoutMs,
        )) ?? (r.userId ? table.users.get(r.userId) : undefined);
      principal = { app, user };
      break;
    }
    if (credential && this.cacheMs > 0) {
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.cache.set(key, { at: Date.now(), principal, why });
    }
    if (!principal) throw unauthenticated(why);
    return principal;
  }
}
