import { capabilities, type CustomEndpointHandler, type EndpointSpec } from '@hubspoke/sdk';
import type { HostedPlugin } from '@hubspoke/runtime';

/** One custom endpoint, ready to match. */
export interface CompiledEndpoint {
  readonly hosted: HostedPlugin;
  readonly handler: CustomEndpointHandler;
  /** Relative to `/plugins/<plugin>`, starting with `/`; `prefix` when it ended in `*`. */
  readonly path: string;
  readonly prefix: boolean;
  readonly methods: ReadonlySet<string>;
  readonly requireAuth: boolean;
}

/** The endpoints of every CustomEndpointHandler, by plugin name (plugins are fixed once the edge is ready). */
export function compileEndpoints(hosted: readonly HostedPlugin[]): Map<string, CompiledEndpoint[]> {
  const out = new Map<string, CompiledEndpoint[]>();
  for (const h of hosted) {
    const p = h.plugin;
    if (!capabilities.isCustomEndpointHandler(p)) continue;
    const list: CompiledEndpoint[] = [];
    for (const e of p.getEndpoints() as EndpointSpec[]) {
      let path = e.path.startsWith('/') ? e.path : `/${e.path}`;
      const prefix = path.endsWith('*');
      if (prefix) path = path.slice(0, -1);
      list.push({
        hosted: h,
        handler: p,
        path,
        prefix,
        methods: new Set(e.methods.map((m) => m.toUpperCase())),
        requireAuth: e.requireAuth === true,
      });
    }
    out.set(h.name, list);
  }
  return out;
}

/** The endpoint of `/plugins/<plugin>/<rest>`; `methodRefused` when the path matches but not the method. */
export function matchEndpoint(
  table: ReadonlyMap<string, CompiledEndpoint[]>,
  path: string,
  method: string,
): { endpoint: CompiledEndpoint } | { methodRefused: true } | undefined {
  const slash = path.indexOf('/', '/plugins/'.length);
  const plugin = path.slice('/plugins/'.length, slash < 0 ? undefined : slash);
  const rest = slash < 0 ? '/' : path.slice(slash);
  const list = table.get(plugin);
  if (!list) return undefined;
  let refused = false;
  for (const e of list) {
    if (e.prefix ? rest.startsWith(e.path) : rest === e.path) {
      if (e.methods.has(method)) return { endpoint: e };
      refused = true;
    }
  }
  return refused ? { methodRefused: true } : undefined;
}
