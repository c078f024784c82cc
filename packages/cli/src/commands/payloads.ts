import type { PayloadInfo } from '@hubspoke/control-plane';
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
  printPage,
  withAdmin,
} from './admin-flags.js';

const FLAGS: Record<string, FlagDef> = {
  ...ADMIN_FLAG,
  ...FILTER_FLAGS,
  limit: { kind: 'string', arg: 'N', help: 'at most N payloads, oldest first (default 100, at most 10000)' },
  after: { kind: 'string', arg: 'SEQ', help: 'start after this stream sequence (the next page)' },
  id: { kind: 'string', arg: 'ID', help: 'show this one payload, with its body' },
  seq: { kind: 'string', arg: 'SEQ', help: 'show the payload at this stream sequence, with its body' },
  json: { kind: 'boolean', help: 'JSON instead of a table (bodies in base64)' },
};

/** `hubspoke payloads --help`. */
export function payloadsUsage(): string {
  return (
    'Usage: hubspoke payloads --admin ADDR [filters] [--limit N] [--after SEQ] [--json]\n' +
    '       hubspoke payloads --admin ADDR --id ID | --seq SEQ [--json]\n\n' +
    'Lists the edge payloads kept at the hub (the replay window), oldest first, or shows one with its body.\n\n' +
    flagTable(FLAGS)
  );
}

function note(p: PayloadInfo): string {
  if (p.error) return `undecodable: ${p.error}`;
  if (p.topic) return `durable event ${p.topic}`;
  return p.redriven ? 'redriven' : '';
}

/** The table of `hubspoke payloads`. */
export function payloadTable(payloads: readonly PayloadInfo[]): string {
  return table(
    ['SEQ', 'RECEIVED', 'NAMESPACE', 'EDGE', 'ID', 'CORRELATION', 'SIZE', 'NOTE'],
    payloads.map((p) => [
      String(p.streamSeq),
      iso(p.receivedUnixMs),
      p.namespace,
      p.edgeId,
      p.id || '-',
      p.correlationId || '-',
      String(p.size),
      note(p),
    ]),
  );
}

/** One payload in full: its fields, then its body (as text when it is UTF-8 without control characters, else base64). */
export function payloadDetail(p: PayloadInfo): string {
  const body = Buffer.from(p.body);
  const text = body.toString('utf8');
  const printable = Buffer.from(text, 'utf8').equals(body) && !/[\u0000-\u0008\u000e-\u001f]/.test(text);
  const rows: [string, string][] = [
    ['stream seq', String(p.streamSeq)],
    ['id', p.id],
    ['edge', `${p.namespace}/${p.edgeId}`],
    ['origin', p.origin],
    ['correlation id', p.correlationId],
    ['causation id', p.causationId],
    ['edge time', iso(p.edgeTimeUnixMs)],
    ['received', iso(p.receivedUnixMs)],
    ['content type', p.contentType],
    ['size', String(p.size)],
    ['outbox sequence', p.sequence ? `${p.sequence} (epoch ${p.sequenceEpoch})` : ''],
    ['traceparent', p.traceparent],
    ['note', note(p)],
    ...Object.entries(p.metadata).map(([k, v]): [string, string] => [`metadata ${k}`, v]),
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const head = rows
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${`${k}:`.padEnd(width)}${v}\n`)
    .join('');
  return `${head}body (${printable ? 'text' : 'base64'}):\n${printable ? text : body.toString('base64')}\n`;
}

/** `hubspoke payloads`: lists payloads at the hub, or shows one. */
export async function payloadsCommand(argv: readonly string[], env = process.env): Promise<number> {
  const f = parseFlags('payloads', argv, FLAGS);
  if (f.help) {
    process.stdout.write(payloadsUsage());
    return 0;
  }
  noPositionals(f);
  const conn = adminConnectionOf(f, env);
  const filter = filterOf(f, Date.now());
  const limit = intFlag(f, 'limit', 1, 10_000);
  const after = intFlag(f, 'after', 1, Number.MAX_SAFE_INTEGER);
  const id = f.strings.get('id');
  const seq = intFlag(f, 'seq', 1, Number.MAX_SAFE_INTEGER);
  if (id !== undefined && seq !== undefined) throw usageError('--id, --seq: give one of them');
  const json = f.booleans.has('json');
  return withAdmin(conn, async (admin) => {
    if (id !== undefined || seq !== undefined) {
      const { payload } = await admin.getPayload(id !== undefined ? { id } : { streamSeq: seq as number });
      if (payload) process.stdout.write(json ? `${toJson(payload)}\n` : payloadDetail(payload));
      return 0;
    }
    const r = await admin.listPayloads({
      filter,
      ...(limit ? { limit } : {}),
      ...(after ? { afterSeq: after } : {}),
      includeBody: json,
    });
    printPage(r, r.payloads, { json, none: 'no payloads match', table: payloadTable, seqOf: (p) => p.streamSeq });
    return 0;
  });
}
