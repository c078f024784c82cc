import { createHash } from 'node:crypto';
import type { App, ConfigEntry, User } from '@hubspoke/sdk';
import type { HostedPlugin } from '@hubspoke/runtime';
import { z } from 'zod';
import type { Breaker } from './breaker.js';
import { compileChain, routePlugins, type HookChain } from './chain.js';

const pricesSchema = z
  .object({ promptPer1k: z.number().min(0), completionPer1k: z.number().min(0), currency: z.string().min(1).max(16) })
  .strict();

const routeSchema = z.object({
  path: z
    .string()
    .regex(/^\/[^?#\\]*$/, 'an absolute path without query')
    .refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), 'no dot segments'),
  upstream: z.url({ protocol: /^https?$/ }),
  plugins: z.array(z.string().min(1)).optional(),
  timeoutMs: z.number().int().min(1).max(3_600_000).optional(),
  prices: pricesSchema.optional(),
});

const appSchema = z.object({
  name: z.string(),
  credentials: z.array(z.string().regex(/^[0-9a-fA-F]{64}$/, 'sha256 hex')),
  active: z.boolean().optional(),
  userId: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

const userSchema = z.object({
  name: z.string(),
  email: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

/** A route ready to serve: its prefix, upstream, chain (or why it cannot run), limits and prices. */
export interface CompiledRoute {
  readonly name: string;
  /** The path prefix, ending in `/`. */
  readonly prefix: string;
  /** The upstream's origin (`http://host:port`) and base path (no trailing `/`). */
  readonly origin: string;
  readonly basePath: string;
  readonly chain: HookChain | { error: string };
  readonly timeoutMs: number;
  readonly prices: z.output<typeof pricesSchema> | undefined;
}

/** An app as key auth finds it, with the user it acts for. */
export interface KeyedApp {
  app: App;
  userId: string | undefined;
}

/** Everything the gateway serves from, rebuilt whole on every relevant config change. */
export interface GatewayTable {
  /** Longest prefix first. */
  readonly routes: readonly CompiledRoute[];
  /** sha256 hex (lower case) of a key → its active app. */
  readonly keys: ReadonlyMap<string, KeyedApp>;
  readonly apps: ReadonlyMap<string, App>;
  readonly users: ReadonlyMap<string, User>;
  /** Objects refused, with why (logged once per compile). */
  readonly problems: readonly string[];
}

/** True for the config keys the gateway serves from. */
export function isGatewayKey(key: string): boolean {
  return key.startsWith('route.') || key.startsWith('app.') || key.startsWith('user.');
}

/** sha256 hex of a credential, as `app.<id>.credentials` holds it. */
export function credentialHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function problemOf(key: string, err: z.ZodError): string {
  return `${key}: ${err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`;
}

/** Compiles the edge's effective view into a table; invalid objects are left out and listed in `problems`. */
export function compileTable(
  entries: readonly ConfigEntry[],
  hosted: readonly HostedPlugin[],
  breakerOf: (plugin: string) => Breaker,
): GatewayTable {
  const routes: CompiledRoute[] = [];
  const keys = new Map<string, KeyedApp>();
  const apps = new Map<string, App>();
  const users = new Map<string, User>();
  const problems: string[] = [];
  for (const e of entries) {
    if (e.key.startsWith('route.')) {
      const r = routeSchema.safeParse(e.value);
      if (!r.success) {
        problems.push(problemOf(e.key, r.error));
        continue;
      }
      const v = r.data;
      const up = new URL(v.upstream);
      const plugins = routePlugins(hosted, v.plugins);
      routes.push({
        name: e.key.slice('route.'.length),
        prefix: v.path.endsWith('/') ? v.path : `${v.path}/`,
        origin: up.origin,
        basePath: up.pathname.replace(/\/+$/, ''),
        chain:
          'missing' in plugins
            ? { error: `route ${e.key} lists plugin ${plugins.missing}, which this edge does not run` }
            : compileChain(plugins, breakerOf),
        timeoutMs: v.timeoutMs ?? 60_000,
        prices: v.prices,
      });
    } else if (e.key.startsWith('app.')) {
      const r = appSchema.safeParse(e.value);
      if (!r.success) {
        problems.push(problemOf(e.key, r.error));
        continue;
      }
      const id = e.key.slice('app.'.length);
      const app: App = { id, name: r.data.name, active: r.data.active ?? true, metadata: r.data.metadata ?? {} };
      apps.set(id, app);
      if (app.active) for (const c of r.data.credentials) keys.set(c.toLowerCase(), { app, userId: r.data.userId });
    } else if (e.key.startsWith('user.')) {
      const r = userSchema.safeParse(e.value);
      if (!r.success) {
        problems.push(problemOf(e.key, r.error));
        continue;
      }
      const id = e.key.slice('user.'.length);
      users.set(id, {
        id,
        name: r.data.name,
        metadata: r.data.metadata ?? {},
        ...(r.data.email === undefined ? {} : { email: r.data.email }),
      });
    }
  }
  routes.sort((a, b) => b.prefix.length - a.prefix.length);
  return { routes, keys, apps, users, problems };
}

/** The route serving `path` (longest prefix; the prefix without its `/` matches too), and the rest of the path. */
export function matchRoute(table: GatewayTable, path: string): { route: CompiledRoute; rest: string } | undefined {
  for (const route of table.routes) {
    if (path.startsWith(route.prefix)) return { route, rest: path.slice(route.prefix.length - 1) };
    if (path.length === route.prefix.length - 1 && route.prefix.startsWith(path)) return { route, rest: '/' };
  }
  return undefined;
}
