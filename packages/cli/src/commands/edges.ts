import { parseArgs } from 'node:util';
import { readEdgeRegistry, forgetEdge } from '@hubspoke/control-plane';
import { connectNats, createRootLogger } from '@hubspoke/runtime';
import { ErrorCode, HubspokeError, isName, type EdgeInfo } from '@hubspoke/sdk';
import { shutdownSignal } from './run-node.js';

type NatsConnection = Awaited<ReturnType<typeof connectNats>>;

const WATCH_MS = 2000;

/** `hubspoke edges --help`. */
export function edgesUsage(): string {
  return (
    'Usage: hubspoke edges [--nats URL] [--creds PATH] [--watch] [--json]\n' +
    '       hubspoke edges forget ID [--nats URL] [--creds PATH]\n\n' +
    "Lists the edges in the control plane's registry (read from the hub's KV bucket hs-edges): state judged from\n" +
    'missed heartbeats (stale after 2.5 intervals, offline after 3.5), last seen, config revision applied/latest,\n' +
    'outbox depth, version. Offline edges stay listed until forgotten; a forgotten edge reappears if it beats again.\n\n' +
    '  --nats URL     the hub  [HUBSPOKE_NATS_URL]\n' +
    "  --creds PATH   nkey seed with hub rights (the control plane's)  [HUBSPOKE_CREDS]\n" +
    `  --watch        redraw every ${WATCH_MS / 1000} s until Ctrl-C\n` +
    '  --json         the EdgeInfo list as JSON\n' +
    '  -h, --help     this help\n'
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

/** The table `hubspoke edges` prints. */
export function edgesTable(edges: readonly EdgeInfo[], now: number): string {
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

function usage(message: string): HubspokeError {
  return new HubspokeError(ErrorCode.ConfigInvalid, `hubspoke edges: ${message}`);
}

async function hub(url: string | undefined, creds: string | undefined): Promise<NatsConnection> {
  if (!url) throw usage('--nats: required (the hub, e.g. nats://127.0.0.1:4222; or set HUBSPOKE_NATS_URL)');
  return connectNats(
    {
      servers: url.split(',').map((s) => s.trim()),
      name: 'hubspoke-edges-cli',
      timeoutMs: 5000,
      ...(creds ? { credentials: creds } : {}),
    },
    createRootLogger('cli', { level: 'silent' }),
  );
}

/** `hubspoke edges`: the registry as a table (or JSON), once or every 2 s; `forget ID` removes one. */
export async function edgesCommand(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        nats: { type: 'string' },
        creds: { type: 'string' },
        watch: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw usage(`${(err as Error).message} (hubspoke edges --help lists the flags)`);
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    process.stdout.write(edgesUsage());
    return 0;
  }
  const [sub, id, ...extra] = positionals;
  if (sub !== undefined && sub !== 'forget') throw usage(`${JSON.stringify(sub)}: unexpected argument`);
  if (sub === 'forget' && (id === undefined || !isName(id)))
    throw usage('forget: needs an edge id (1-64 of [A-Za-z0-9_-])');
  if (extra.length > 0) throw usage(`${JSON.stringify(extra[0])}: unexpected argument`);
  if (sub === 'forget' && (v.watch || v.json)) throw usage('forget takes no --watch or --json');
  const nc = await hub(v.nats ?? process.env['HUBSPOKE_NATS_URL'], v.creds ?? process.env['HUBSPOKE_CREDS']);
  try {
    if (sub === 'forget') {
      const found = await forgetEdge(nc, id as string);
      process.stdout.write(found ? `forgot ${id}\n` : '');
      if (!found) process.stderr.write(`hubspoke edges: ${id} is not in the registry\n`);
      return found ? 0 : 1;
    }
    const show = async (): Promise<void> => {
      const edges = await readEdgeRegistry(nc);
      const out = v.json ? `${JSON.stringify(edges, null, 2)}\n` : edgesTable(edges, Date.now());
      process.stdout.write(
        v.watch
          ? `\x1b[2J\x1b[H${new Date().toISOString()}  (every ${WATCH_MS / 1000} s, Ctrl-C stops)\n\n${out}`
          : out,
      );
    };
    await show();
    if (!v.watch) return 0;
    let stop = false;
    const stopped = shutdownSignal().then(() => (stop = true));
    while (!stop) {
      await Promise.race([stopped, new Promise((r) => setTimeout(r, WATCH_MS))]);
      if (!stop) await show();
    }
    return 0;
  } finally {
    await nc.close();
  }
}
