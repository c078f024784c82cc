import type { DeadLetter } from '@hubspoke/control-plane';
import {
  ADMIN_FLAG,
  FILTER_FLAGS,
  adminConnectionOf,
  filterOf,
  flagTable,
  intFlag,
  iso,
  noPositionals,
  parseFlags,
  table,
  toJson,
  usageError,
  type FlagDef,
  type ParsedFlags,
  printPage,
  withAdmin,
} from './admin-flags.js';

const FILTERS: Record<string, FlagDef> = {
  ...FILTER_FLAGS,
  since: { kind: 'string', arg: 'T', help: 'dead-lettered at or after T: ISO 8601, or relative: -15m, -2h, -7d' },
  until: { kind: 'string', arg: 'T', help: 'dead-lettered before T (same forms)' },
  plugin: { kind: 'string', arg: 'P', help: 'the receiver that failed it' },
};

const LS_FLAGS: Record<string, FlagDef> = {
  ...ADMIN_FLAG,
  ...FILTERS,
  limit: { kind: 'string', arg: 'N', help: 'at most N, oldest first (default 100, at most 10000)' },
  after: { kind: 'string', arg: 'SEQ', help: 'start after this dead-letter sequence (the next page)' },
  json: { kind: 'boolean', help: 'JSON instead of a table (bodies in base64)' },
};

const ACT_FLAGS: Record<string, FlagDef> = {
  ...ADMIN_FLAG,
  seq: { kind: 'list', arg: 'N', help: 'this dead letter (repeat, or separate with commas)' },
  all: { kind: 'boolean', help: 'every dead letter matching the filters below, as of now' },
  ...FILTERS,
  json: { kind: 'boolean', help: 'print the reply as JSON' },
};

/** `hubspoke dlq --help`. */
export function dlqUsage(): string {
  return (
    'Usage: hubspoke dlq ls --admin ADDR [filters] [--limit N] [--after SEQ] [--json]\n' +
    '       hubspoke dlq redrive --admin ADDR --seq N... | --all [filters]\n' +
    '       hubspoke dlq drop --admin ADDR --seq N... | --all [filters]\n\n' +
    'The dead letters: payloads no receiver handled, with the reason, the plugin and the attempts.\n' +
    '  ls       lists them, oldest first\n' +
    "  redrive  sends each back to its edge's payload stream (same id and bytes); dispatch offers it again,\n" +
    '           after what is queued for that edge. Fix the receiver first.\n' +
    '  drop     deletes them for good\n' +
    'Exit code 1 when a sequence asked for is not in the dead-letter stream.\n\n' +
    'ls:\n' +
    flagTable(LS_FLAGS) +
    '\nredrive, drop:\n' +
    flagTable(ACT_FLAGS)
  );
}

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The table of `hubspoke dlq ls`. */
export function deadLetterTable(dls: readonly DeadLetter[]): string {
  return table(
    ['SEQ', 'DEAD-LETTERED', 'NAMESPACE', 'EDGE', 'ID', 'PLUGIN', 'ATTEMPTS', 'REASON'],
    dls.map((d) => [
      String(d.seq),
      iso(d.deadLetteredUnixMs),
      d.payload?.namespace ?? '',
      d.payload?.edgeId ?? '',
      d.payload?.id || '-',
      d.plugin || '-',
      String(d.attempts),
      clip(d.reason.replace(/\s+/g, ' '), 100),
    ]),
  );
}

function seqsOf(f: ParsedFlags): number[] {
  const raw = f.lists.get('seq') ?? [];
  const bad = raw.find((s) => !/^\d+$/.test(s) || Number(s) < 1 || !Number.isSafeInteger(Number(s)));
  if (bad !== undefined)
    throw usageError(`--seq: ${JSON.stringify(bad)} is not a dead-letter sequence (a whole number from 1)`);
  return raw.map(Number);
}

async function ls(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const f = parseFlags('dlq ls', argv, LS_FLAGS);
  if (f.help) return help();
  noPositionals(f);
  const conn = adminConnectionOf(f, env);
  const filter = filterOf(f, Date.now(), true);
  const limit = intFlag(f, 'limit', 1, 10_000);
  const after = intFlag(f, 'after', 1, Number.MAX_SAFE_INTEGER);
  const json = f.booleans.has('json');
  return withAdmin(conn, async (admin) => {
    const r = await admin.listDeadLetters({
      filter,
      ...(limit ? { limit } : {}),
      ...(after ? { afterSeq: after } : {}),
      includeBody: json,
    });
    printPage(r, r.deadLetters, { json, none: 'no dead letters match', table: deadLetterTable, seqOf: (d) => d.seq });
    return 0;
  });
}

async function act(what: 'redrive' | 'drop', argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const f = parseFlags(`dlq ${what}`, argv, ACT_FLAGS);
  if (f.help) return help();
  noPositionals(f);
  const conn = adminConnectionOf(f, env);
  const seqs = seqsOf(f);
  const all = f.booleans.has('all');
  const filter = filterOf(f, Date.now(), true);
  const filtered = Object.keys(filter).length > 0;
  if (seqs.length > 0 && all) throw usageError('--seq, --all: give one of them');
  if (seqs.length === 0 && !all) throw usageError(`--seq or --all: say which dead letters to ${what}`);
  if (filtered && !all)
    throw usageError('--edge, --namespace, --since, --until, --correlation-id, --plugin: go with --all only');
  const json = f.booleans.has('json');
  return withAdmin(conn, async (admin) => {
    const req = all ? { all: true, confirm: 'all' as const, filter } : { seqs };
    let missing: number[];
    if (what === 'redrive') {
      const r = await admin.redrive(req);
      missing = r.missing;
      if (json) process.stdout.write(`${toJson(r)}\n`);
      else {
        for (const x of r.redriven)
          process.stdout.write(
            `redriven: dead letter ${x.seq} -> payload seq ${x.streamSeq} (id ${x.payloadId || '-'})\n`,
          );
        process.stdout.write(`dlq redrive: ${r.redriven.length} redriven\n`);
      }
    } else {
      const r = await admin.drop(req);
      missing = r.missing;
      if (json) process.stdout.write(`${toJson(r)}\n`);
      else
        process.stdout.write(
          `dlq drop: ${r.dropped.length} dropped${r.dropped.length ? ` (${r.dropped.join(', ')})` : ''}\n`,
        );
    }
    if (missing.length > 0) process.stderr.write(`not in the dead-letter stream: ${missing.join(', ')}\n`);
    return missing.length > 0 ? 1 : 0;
  });
}

function help(): number {
  process.stdout.write(dlqUsage());
  return 0;
}

/** `hubspoke dlq ls|redrive|drop`. */
export async function dlqCommand(argv: readonly string[], env = process.env): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'ls':
    case 'list':
      return ls(rest, env);
    case 'redrive':
    case 'drop':
      return act(sub, rest, env);
    case '-h':
    case '--help':
    case 'help':
      return help();
    case undefined:
      throw usageError(`hubspoke dlq: say ls, redrive or drop\n\n${dlqUsage()}`);
    default:
      throw usageError(`hubspoke dlq: unknown subcommand ${JSON.stringify(sub)} (ls, redrive or drop)`);
  }
}
