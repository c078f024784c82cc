import { ErrorCode, HubspokeError, isName } from '@hubspoke/sdk';
import { AdminClient, type DeadLetterFilter } from '@hubspoke/control-plane';
import { adminConnection, OPS_ENV, type AdminConnection } from '../ops/connection.js';

/** The variable that gives `--admin` to the ops commands. */
export const ADMIN_ENV = OPS_ENV.admin;

/** One flag of an ops command. */
export interface FlagDef {
  readonly kind: 'string' | 'boolean' | 'list';
  readonly arg?: string;
  readonly help: string;
}

/** The flags every admin command has. */
export const ADMIN_FLAG: Record<string, FlagDef> = {
  admin: {
    kind: 'string',
    arg: 'ADDR',
    help: `the control plane's admin API, host:port (default: the context's, else 127.0.0.1:7411)  [${ADMIN_ENV}]`,
  },
  'admin-token': {
    kind: 'string',
    arg: 'FILE|-',
    help: `file holding the admin token (D/admin.token of hubspoke auth init); - reads stdin  [${OPS_ENV.token}: the token]`,
  },
  'admin-ca': { kind: 'string', arg: 'FILE', help: `the CA (PEM) of an admin API served over TLS  [${OPS_ENV.ca}]` },
  context: { kind: 'string', arg: 'NAME', help: `a stored context (hubspoke context ls)  [${OPS_ENV.context}]` },
};

/** The flags that select payloads. */
export const FILTER_FLAGS: Record<string, FlagDef> = {
  edge: { kind: 'string', arg: 'ID', help: 'the sending edge' },
  namespace: { kind: 'string', arg: 'NS', help: "the sending edge's namespace" },
  since: { kind: 'string', arg: 'T', help: 'stored at the hub at or after T: ISO 8601, or relative: -15m, -2h, -7d' },
  until: { kind: 'string', arg: 'T', help: 'stored at the hub before T (same forms)' },
  'correlation-id': { kind: 'string', arg: 'C', help: 'this correlation id only' },
};

/** Flags read from argv: strings (last one wins), booleans, and lists (repeated, or comma-separated). */
export interface ParsedFlags {
  help: boolean;
  strings: Map<string, string>;
  booleans: Set<string>;
  lists: Map<string, string[]>;
  positionals: string[];
}

/** Bad usage: exit code 2, the message names the flag. */
export function usageError(message: string): HubspokeError {
  return new HubspokeError(ErrorCode.ConfigInvalid, message);
}

/**
 * Reads flags. A string flag always takes the next argument as its value, so `--since -15m` works (node's
 * parseArgs would take `-15m` for a flag). `--flag=value` works too. Every problem is reported at once.
 * @throws HubspokeError `HS_ERR_CONFIG_INVALID` naming each bad flag
 */
export function parseFlags(
  command: string,
  argv: readonly string[],
  defs: Readonly<Record<string, FlagDef>>,
): ParsedFlags {
  const out: ParsedFlags = { help: false, strings: new Map(), booleans: new Set(), lists: new Map(), positionals: [] };
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '-h' || a === '--help') {
      out.help = true;
      continue;
    }
    if (!a.startsWith('--')) {
      out.positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq === -1 ? undefined : eq);
    const def = defs[name];
    if (!def) {
      problems.push(`--${name}: unknown flag (hubspoke ${command} --help lists the flags)`);
      continue;
    }
    if (def.kind === 'boolean') {
      if (eq !== -1) problems.push(`--${name}: takes no value`);
      else out.booleans.add(name);
      continue;
    }
    const value = eq !== -1 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') {
      problems.push(`--${name}: needs a value`);
      continue;
    }
    if (def.kind === 'list') {
      const items = value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      out.lists.set(name, [...(out.lists.get(name) ?? []), ...items]);
    } else out.strings.set(name, value);
  }
  if (problems.length > 0) throw usageError(`hubspoke ${command}: ${problems.join('; ')}`);
  return out;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A time given as ISO 8601 (`2026-11-27T15:00:00Z`, `2026-11-27`) or relative to `now` (`-15m`, `-2h`, `-7d`,
 * `now`). Returns Unix ms, or undefined when the text is neither.
 */
export function parseTime(text: string, now: number): number | undefined {
  if (text === 'now') return now;
  const rel = /^-(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text);
  if (rel) return Math.round(now - Number(rel[1]) * (UNITS[rel[2] as string] as number));
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) return undefined;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}

/** The admin API and token the flags, the environment, a context or the defaults give (ops/connection.ts). */
export function adminConnectionOf(f: ParsedFlags, env: Readonly<Record<string, string | undefined>>): AdminConnection {
  return adminConnection(
    {
      admin: f.strings.get('admin'),
      adminToken: f.strings.get('admin-token'),
      adminCa: f.strings.get('admin-ca'),
      context: f.strings.get('context'),
    },
    env,
  );
}

/** A client of the connection's admin API. */
export function adminClient(c: AdminConnection): AdminClient {
  return new AdminClient(c.address, { token: c.token, ...(c.tlsCa ? { tlsCa: c.tlsCa } : {}) });
}

/** The filter the flags give; `withPlugin` reads `--plugin` into it too (dead letters: the receiver that failed). */
export function filterOf(f: ParsedFlags, now: number, withPlugin = false): DeadLetterFilter {
  const problems: string[] = [];
  const out: DeadLetterFilter = {};
  const name = (flag: string, key: 'edgeId' | 'namespace' | 'plugin', what: string): void => {
    const v = f.strings.get(flag);
    if (v === undefined) return;
    if (!isName(v)) problems.push(`--${flag}: ${JSON.stringify(v)} is not a valid ${what} (1-64 of [A-Za-z0-9_-])`);
    else out[key] = v;
  };
  name('edge', 'edgeId', 'edge id');
  name('namespace', 'namespace', 'namespace');
  if (withPlugin) name('plugin', 'plugin', 'plugin name');
  for (const [flag, key] of [
    ['since', 'sinceUnixMs'],
    ['until', 'untilUnixMs'],
  ] as const) {
    const v = f.strings.get(flag);
    if (v === undefined) continue;
    const t = parseTime(v, now);
    if (t === undefined)
      problems.push(`--${flag}: ${JSON.stringify(v)} is not ISO 8601 or a relative time like -15m, -2h, -7d`);
    else if (t <= 0) problems.push(`--${flag}: ${JSON.stringify(v)} is before 1970`);
    else out[key] = t;
  }
  if (out.sinceUnixMs !== undefined && out.untilUnixMs !== undefined && out.untilUnixMs <= out.sinceUnixMs) {
    problems.push('--until: must be after --since');
  }
  const c = f.strings.get('correlation-id');
  if (c !== undefined) out.correlationId = c;
  if (problems.length > 0) throw usageError(problems.join('; '));
  return out;
}

const FLAG_OF: readonly (readonly [RegExp, string])[] = [
  [/^(filter\.)?plugin[ :]/, '--plugin'],
  [/^(edge id |filter\.edge_id:|edge_id:)/, '--edge'],
  [/^(namespace |(filter\.)?namespace:)/, '--namespace'],
  [/^(until |filter\.until_unix_ms:)/, '--until'],
  [/^(since |filter\.since_unix_ms:)/, '--since'],
  [/^filter\.correlation_id:/, '--correlation-id'],
  [/^limit[ :]/, '--limit'],
  [/^after_seq:/, '--after'],
  [/^seqs:/, '--seq'],
  [/^id:/, '--id'],
];

/**
 * An admin call's failure as the command reports it: a request the server refuses as bad (INVALID_ARGUMENT)
 * becomes a usage error (exit 2) naming the flag it came from; anything else stays as it is (exit 1).
 */
export function usageIfRefused(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (code !== ErrorCode.InvalidArgument && code !== ErrorCode.InvalidName) return err;
  const why = (err as Error).message.replace(/^HS_ERR_[A-Z_]+: /, '').replace(/^[A-Z][A-Za-z]+: /, '');
  const flag = FLAG_OF.find(([re]) => re.test(why))?.[1];
  return usageError(flag ? `${flag}: ${why}` : why);
}

/** A positive integer flag, or undefined. */
export function intFlag(f: ParsedFlags, flag: string, min: number, max: number): number | undefined {
  const v = f.strings.get(flag);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw usageError(`--${flag}: ${JSON.stringify(v)} is not a whole number from ${min} to ${max}`);
  }
  return Number(v);
}

/** Refuses positional arguments. */
export function noPositionals(f: ParsedFlags): void {
  if (f.positionals.length > 0) throw usageError(`${JSON.stringify(f.positionals[0])}: unexpected argument`);
}

/** Two columns of help. */
export function flagTable(defs: Readonly<Record<string, FlagDef>>): string {
  const rows: (readonly [string, string])[] = Object.entries(defs).map(([name, d]) => [
    `--${name}${d.arg ? ` ${d.arg}` : ''}`,
    d.help,
  ]);
  rows.push(['-h, --help', 'this help']);
  const width = Math.max(...rows.map(([a]) => a.length)) + 2;
  return rows.map(([a, b]) => `  ${a.padEnd(width)}${b}\n`).join('');
}

/** A table of rows under a header, columns padded to their widest cell; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd() + '\n';
  return line(header) + rows.map(line).join('');
}

/** An ISO time, or '-' for 0. */
export const iso = (ms: number): string => (ms > 0 ? new Date(ms).toISOString() : '-');

/** JSON with byte arrays as base64 (a Uint8Array would print as an object of indices). */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
      if (
        typeof v === 'object' &&
        v !== null &&
        (v as { type?: unknown }).type === 'Buffer' &&
        Array.isArray((v as { data?: unknown }).data)
      ) {
        return Buffer.from((v as { data: number[] }).data).toString('base64');
      }
      return v;
    },
    2,
  );
}

/** Runs `fn` with an admin client, turning a request the server refuses into a usage error; closes the client. */
export async function withAdmin<T>(conn: AdminConnection, fn: (admin: AdminClient) => Promise<T>): Promise<T> {
  const admin = adminClient(conn);
  try {
    return await fn(admin);
  } catch (err) {
    throw usageIfRefused(err);
  } finally {
    admin.close();
  }
}

/** Prints one page of a list: as JSON, as a table, or that nothing matched; then how to get the next page. */
export function printPage<T>(
  raw: { truncated: boolean },
  rows: readonly T[],
  o: { json: boolean; none: string; table: (rows: readonly T[]) => string; seqOf: (row: T) => number },
): void {
  if (o.json) process.stdout.write(`${toJson(raw)}\n`);
  else if (rows.length === 0) process.stderr.write(`${o.none}\n`);
  else process.stdout.write(o.table(rows));
  if (raw.truncated && !o.json) {
    const last = rows.at(-1);
    process.stderr.write(`more match: add --after ${last === undefined ? 0 : o.seqOf(last)} for the next page\n`);
  }
}
