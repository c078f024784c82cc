import type { ConfigObject } from '@hubspoke/control-plane';
import type { AdminClient } from '@hubspoke/control-plane';
import { Backoff } from '@hubspoke/runtime';
import { edgeFromWire } from './edges.js';
import {
  ADMIN_FLAG,
  intFlag,
  adminConnectionOf,
  flagTable,
  parseFlags,
  table,
  toJson,
  usageError,
  withAdmin,
  type FlagDef,
  type ParsedFlags,
} from './admin-flags.js';

const SCOPE_FLAG: Record<string, FlagDef> = {
  namespace: { kind: 'string', arg: 'NS', help: 'that namespace; without it, the global scope' },
};

const FLAGS: Record<string, FlagDef> = {
  ...ADMIN_FLAG,
  ...SCOPE_FLAG,
  prefix: { kind: 'string', arg: 'P', help: 'ls: keys starting with P' },
  wait: {
    kind: 'boolean',
    help: 'set, rm: wait until every edge in scope applied it; exit 1 naming those that rejected it or did not answer',
  },
  'timeout-ms': { kind: 'string', arg: 'N', help: 'how long --wait waits (default 30000)' },
  json: { kind: 'boolean', help: 'JSON output' },
};

/** `hubspoke config --help`. */
export function configUsage(): string {
  return (
    'Usage: hubspoke config set KEY JSON [--namespace NS] [--wait [--timeout-ms N]] --admin ADDR\n' +
    '       hubspoke config get KEY [--namespace NS] [--json] --admin ADDR\n' +
    '       hubspoke config ls [--namespace NS] [--prefix P] [--json] --admin ADDR\n' +
    '       hubspoke config rm KEY [--namespace NS] --admin ADDR\n\n' +
    "The control plane's config store: JSON values under keys (dot-separated tokens of [A-Za-z0-9_-]), global or\n" +
    'per namespace. A change is pushed at once to the edges that should see it; `hubspoke edges` shows the revision\n' +
    "each applied. `plugin.<name>` holds a plugin's config (a JSON object), checked against its schema.\n" +
    'set prints the new revision; get exits 1 when the key is absent; rm exits 1 when there was nothing to remove.\n\n' +
    flagTable(FLAGS)
  );
}

function scopeOf(f: ParsedFlags): { namespace?: string } {
  const ns = f.strings.get('namespace');
  return ns === undefined ? {} : { namespace: ns };
}

function args(f: ParsedFlags, sub: string, names: readonly string[]): string[] {
  const got = f.positionals.slice(1);
  if (got.length !== names.length) {
    throw usageError(`hubspoke config ${sub}: needs ${names.join(' ')} (hubspoke config --help)`);
  }
  return got;
}

function parseJson(key: string, text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    throw usageError(
      `hubspoke config set ${key}: the value is not JSON (${(err as Error).message}); quote strings: '"text"'`,
    );
  }
  return text;
}

const scopeName = (o: ConfigObject): string => o.namespace || '(global)';

/** Where each edge in scope stands with one revision. */
export interface EdgeOutcome {
  edgeId: string;
  namespace: string;
  outcome: 'applied' | 'rejected' | 'no answer';
  error?: string;
}

/**
 * Polls ListEdges until every edge in scope (the namespace's, or all; offline ones left out: they apply it when
 * they return) has applied `revision`, or rejected it (its lastError names `<key>@<revision>`), or the time is up.
 */
export async function waitForEdges(
  a: AdminClient,
  key: string,
  revision: number,
  namespace: string | undefined,
  timeoutMs: number,
): Promise<EdgeOutcome[]> {
  const deadline = Date.now() + timeoutMs;
  const mark = `${key}@${revision}`;
  // Edges acknowledge within a heartbeat or two: look again soon at first, then less often (up to 1 s).
  const backoff = new Backoff({ initialMs: 100, maxMs: 1000, factor: 1.5 });
  for (;;) {
    const edges = (await a.listEdges()).edges
      .map(edgeFromWire)
      .filter((e) => e.state !== 'offline' && (namespace === undefined || e.namespace === namespace));
    const out: EdgeOutcome[] = edges.map((e) => {
      const base = { edgeId: e.edgeId, namespace: e.namespace };
      if (e.lastError?.includes(mark)) return { ...base, outcome: 'rejected', error: e.lastError };
      // Shadowed for this edge (a namespace object of the same key): its latest is below, and it has that.
      const done =
        e.appliedRevision >= revision ||
        (e.latestRevision < revision &&
          e.appliedRevision >= e.latestRevision &&
          Date.now() > deadline - timeoutMs + 2000);
      return { ...base, outcome: done ? 'applied' : 'no answer' };
    });
    if (out.every((o) => o.outcome !== 'no answer') || Date.now() >= deadline) return out;
    await backoff.wait();
  }
}

function reportWait(out: readonly EdgeOutcome[], key: string, revision: number, json: boolean): number {
  const bad = out.filter((o) => o.outcome !== 'applied');
  if (!json) {
    process.stderr.write(
      `${out.length - bad.length}/${out.length} edge(s) in scope applied ${key}@${revision}\n` +
        bad.map((o) => `  ${o.edgeId} (${o.namespace}): ${o.outcome}${o.error ? `: ${o.error}` : ''}\n`).join(''),
    );
  }
  if (bad.length > 0) {
    process.stderr.write(
      `hubspoke config: ${bad.filter((o) => o.outcome === 'rejected').length} rejected, ${bad.filter((o) => o.outcome === 'no answer').length} did not answer: ${bad.map((o) => o.edgeId).join(', ')}\n`,
    );
    return 1;
  }
  return 0;
}

/** `hubspoke config set|get|ls|rm`, through the control plane's admin API. */
export async function configCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const f = parseFlags('config', argv, FLAGS);
  const sub = f.positionals[0];
  if (f.help || sub === undefined) {
    process.stdout.write(configUsage());
    return f.help ? 0 : 2;
  }
  const scope = scopeOf(f);
  const json = f.booleans.has('json');
  switch (sub) {
    case 'set': {
      const [key, text] = args(f, sub, ['KEY', 'JSON']) as [string, string];
      const valueJson = parseJson(key, text);
      const conn = adminConnectionOf(f, env);
      const timeoutMs = intFlag(f, 'timeout-ms', 1, 3_600_000) ?? 30_000;
      return withAdmin(conn, async (a) => {
        const { revision } = await a.putConfig({ key, valueJson, ...scope });
        const waited = f.booleans.has('wait')
          ? await waitForEdges(a, key, revision, scope.namespace, timeoutMs)
          : undefined;
        if (json)
          process.stdout.write(`${toJson({ key, ...scope, revision, ...(waited ? { edges: waited } : {}) })}\n`);
        else
          process.stdout.write(
            `${key} = ${valueJson}  (revision ${revision}${scope.namespace ? `, namespace ${scope.namespace}` : ', global'})\n`,
          );
        if (waited) return reportWait(waited, key, revision, json);
        return 0;
      });
    }
    case 'get': {
      const [key] = args(f, sub, ['KEY']) as [string];
      const conn = adminConnectionOf(f, env);
      return withAdmin(conn, async (a) => {
        const r = await a.getConfig({ key, ...scope });
        if (!r.found || !r.object) {
          process.stderr.write(
            `hubspoke config: ${key} is not set${scope.namespace ? ` in namespace ${scope.namespace}` : ' globally'}\n`,
          );
          return 1;
        }
        process.stdout.write(
          json ? `${toJson(r.object)}\n` : `${JSON.stringify(JSON.parse(r.object.valueJson), null, 2)}\n`,
        );
        return 0;
      });
    }
    case 'ls': {
      args(f, sub, []);
      const conn = adminConnectionOf(f, env);
      const prefix = f.strings.get('prefix');
      return withAdmin(conn, async (a) => {
        const r = await a.listConfig({ ...scope, ...(prefix === undefined ? {} : { prefix }) });
        if (json) process.stdout.write(`${toJson(r.objects)}\n`);
        else if (r.objects.length === 0) process.stderr.write('no config objects match\n');
        else {
          const clip = (s: string): string => (s.length > 80 ? `${s.slice(0, 79)}…` : s);
          process.stdout.write(
            table(
              ['KEY', 'SCOPE', 'REVISION', 'VALUE'],
              r.objects.map((o) => [o.key, scopeName(o), String(o.revision), clip(o.valueJson)]),
            ),
          );
        }
        return 0;
      });
    }
    case 'rm': {
      const [key] = args(f, sub, ['KEY']) as [string];
      const conn = adminConnectionOf(f, env);
      return withAdmin(conn, async (a) => {
        const { deleted } = await a.deleteConfig({ key, ...scope });
        if (deleted) process.stdout.write(`removed ${key}\n`);
        else process.stderr.write(`hubspoke config: ${key} was not set\n`);
        return deleted ? 0 : 1;
      });
    }
    default:
      throw usageError(`hubspoke config: unknown subcommand ${JSON.stringify(sub)} (set, get, ls, rm)`);
  }
}
