import { existsSync } from 'node:fs';
import { readAuthState } from '@hubspoke/runtime';
import { isName, type EdgeInfo } from '@hubspoke/sdk';
import {
  ADMIN_FLAG,
  adminConnectionOf,
  flagTable,
  parseFlags,
  toJson,
  usageError,
  withAdmin,
  type FlagDef,
} from './admin-flags.js';
import { shutdownSignal } from './run-node.js';

const WATCH_MS = 2000;

const FLAGS: Record<string, FlagDef> = {
  ...ADMIN_FLAG,
  'auth-dir': {
    kind: 'string',
    arg: 'D',
    help: 'the auth folder (hubspoke auth init): edges revoked there show as revoked  [HUBSPOKE_AUTH_DIR]',
  },
  watch: { kind: 'boolean', help: `redraw every ${WATCH_MS / 1000} s until Ctrl-C` },
  json: { kind: 'boolean', help: 'the EdgeInfo list as JSON' },
};

/** `hubspoke edges --help`. */
export function edgesUsage(): string {
  return (
    'Usage: hubspoke edges [--admin ADDR] [--admin-token FILE] [--watch] [--json]\n' +
    '       hubspoke edges forget ID [--admin ADDR] [--admin-token FILE]\n\n' +
    "Lists the edges in the control plane's registry, through its admin API (ListEdges): state judged from\n" +
    'missed heartbeats (stale after 2.5 intervals, offline after 3.5; revoked when the auth folder revoked it),\n' +
    'last seen, config revision applied/latest, outbox depth, version, last error. Offline edges stay listed until\n' +
    'forgotten; a forgotten edge reappears if it beats again.\n\n' +
    flagTable(FLAGS)
  );
}

/** "3s ago", "5m ago", "2h ago", "4d ago". */
export function ago(t: Date, now: number): string {
  const s = Math.max(0, Math.round((now - t.getTime()) / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  if (s < 172_800) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86_400)}d ago`;
}

/** An edge as `hubspoke edges` shows it: its registry entry, `revoked` when the auth folder says so. */
export type ListedEdge = Omit<EdgeInfo, 'state'> & { state: EdgeInfo['state'] | 'revoked' };

/** The table `hubspoke edges` prints. */
export function edgesTable(edges: readonly ListedEdge[], now: number): string {
  const header = ['ID', 'NAMESPACE', 'STATE', 'LAST SEEN', 'CONFIG', 'OUTBOX', 'VERSION', 'ERROR'];
  const rows = edges.map((e) => [
    e.edgeId,
    e.namespace,
    e.state,
    ago(e.lastSeen, now),
    `${e.appliedRevision}/${e.latestRevision}`,
    String(e.outboxDepth),
    e.version,
    e.lastError ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd() + '\n';
  return line(header) + rows.map(line).join('') + (edges.length === 0 ? '(no edges registered)\n' : '');
}

/** An EdgeInfo of the admin API (wire form) as the SDK's. */
export function edgeFromWire(w: Record<string, unknown>): EdgeInfo {
  const n = (k: string): number => Number(w[k] ?? 0);
  const err = String(w['lastError'] ?? '');
  return {
    edgeId: String(w['edgeId'] ?? ''),
    namespace: String(w['namespace'] ?? ''),
    state: String(w['state'] ?? 'offline') as EdgeInfo['state'],
    firstSeen: new Date(n('firstSeenUnixMs')),
    lastSeen: new Date(n('lastSeenUnixMs')),
    version: String(w['version'] ?? ''),
    appliedRevision: n('appliedRevision'),
    latestRevision: n('latestRevision'),
    outboxDepth: n('outboxDepth'),
    reconnects: n('reconnects'),
    ...(err ? { lastError: err } : {}),
  };
}

/** Marks the edges the auth folder revoked (and that were not added again). */
export function markRevoked(edges: readonly EdgeInfo[], authDir: string | undefined): ListedEdge[] {
  if (!authDir || !existsSync(authDir)) return [...edges];
  const state = readAuthState(authDir);
  return edges.map((e) =>
    state.revoked?.[e.edgeId] && !state.edges[e.edgeId]
      ? { ...e, state: 'revoked' as const, lastError: e.lastError ?? `revoked ${state.revoked[e.edgeId]?.at}` }
      : e,
  );
}

/** `hubspoke edges`: the registry as a table (or JSON), once or every 2 s; `forget ID` removes one. */
export async function edgesCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const f = parseFlags('edges', argv, FLAGS);
  if (f.help) {
    process.stdout.write(edgesUsage());
    return 0;
  }
  const [sub, id, ...extra] = f.positionals;
  const watch = f.booleans.has('watch');
  const json = f.booleans.has('json');
  if (sub !== undefined && sub !== 'forget')
    throw usageError(`hubspoke edges: ${JSON.stringify(sub)}: unexpected argument`);
  if (sub === 'forget' && (id === undefined || !isName(id)))
    throw usageError('hubspoke edges forget: needs an edge id (1-64 of [A-Za-z0-9_-])');
  if (extra.length > 0) throw usageError(`hubspoke edges: ${JSON.stringify(extra[0])}: unexpected argument`);
  if (sub === 'forget' && watch) throw usageError('hubspoke edges forget takes no --watch');
  const authDir = f.strings.get('auth-dir') ?? (env['HUBSPOKE_AUTH_DIR']?.trim() || undefined);
  const conn = adminConnectionOf(f, env);
  return withAdmin(conn, async (admin) => {
    if (sub === 'forget') {
      const { forgotten } = await admin.forgetEdge(id as string);
      if (json) process.stdout.write(`${toJson({ edgeId: id, forgotten })}\n`);
      else if (forgotten) process.stdout.write(`forgot ${id}\n`);
      if (!forgotten) process.stderr.write(`hubspoke edges: ${id} is not in the registry\n`);
      return forgotten ? 0 : 1;
    }
    const show = async (): Promise<void> => {
      const edges = markRevoked((await admin.listEdges()).edges.map(edgeFromWire), authDir);
      const out = json ? `${JSON.stringify(edges, null, 2)}\n` : edgesTable(edges, Date.now());
      process.stdout.write(
        watch ? `\x1b[2J\x1b[H${new Date().toISOString()}  (every ${WATCH_MS / 1000} s, Ctrl-C stops)\n\n${out}` : out,
      );
    };
    await show();
    if (!watch) return 0;
    let stop = false;
    const stopped = shutdownSignal().then(() => (stop = true));
    while (!stop) {
      await Promise.race([stopped, new Promise((r) => setTimeout(r, WATCH_MS))]);
      if (!stop) await show();
    }
    return 0;
  });
}
