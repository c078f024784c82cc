// Every admin request is checked whole here before any work, so that no bad field reaches JetStream, the config
// store or a log line: each problem answers INVALID_ARGUMENT naming the field (proto name) and never echoing a
// long value. The bounds are the API's contract (admin.proto). The operations (operations.ts) call it, so that
// a request from the console is held to the same contract as one over gRPC.
import { ErrorCode, HubspokeError, isName, type Limits } from '@hubspoke/sdk';

/** The latest time the API takes: 9999-12-31T23:59:59.999Z (JetStream's start times are RFC 3339, 4-digit years). */
export const MAX_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** Longest payload id, config key or prefix taken. */
export const MAX_ID_CHARS = 256;
/** Largest config value (JSON text): a KV value must fit a NATS message. */
export const MAX_VALUE_JSON_BYTES = 1024 * 1024;
/** Most seqs in one Redrive or Drop, and the largest page. */
export const MAX_SEQS = 10_000;

type Req = Record<string, unknown>;

class Problems {
  readonly list: string[] = [];
  add(field: string, why: string): void {
    this.list.push(`${field}: ${why}`);
  }
  throwIfAny(method: string): void {
    if (this.list.length === 0) return;
    throw new HubspokeError(ErrorCode.InvalidArgument, `${method}: ${this.list.join('; ')}`);
  }
}

const show = (v: string): string =>
  v.length > 40 ? `${JSON.stringify(v.slice(0, 40))}… (${v.length} chars)` : JSON.stringify(v);

function str(
  p: Problems,
  req: Req,
  key: string,
  field: string,
  max: number,
  unit: 'chars' | 'bytes' = 'chars',
): string {
  const v = req[key] ?? '';
  if (typeof v !== 'string') {
    p.add(field, 'must be a string');
    return '';
  }
  // A limit in bytes counts UTF-8 bytes (what is stored), not characters: "é" is 2.
  const size = unit === 'bytes' && v.length * 3 > max ? Buffer.byteLength(v, 'utf8') : v.length;
  if (size > max) p.add(field, `${size} ${unit}, above ${max}`);
  return v;
}

function name(p: Problems, req: Req, key: string, field: string): void {
  const v = str(p, req, key, field, 64);
  if (v !== '' && v.length <= 64 && !isName(v)) p.add(field, `${show(v)} is not a name (1-64 of [A-Za-z0-9_-])`);
}

/** A uint64/int64 field as a number: a safe integer from 0 up to `max`. */
function int(p: Problems, req: Req, key: string, field: string, max = Number.MAX_SAFE_INTEGER): number {
  const v = req[key] ?? 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    p.add(field, `${String(v).slice(0, 40)} is not a whole number from 0 to ${max}`);
    return 0;
  }
  if (v > max) p.add(field, `${v} is above ${max}`);
  return v;
}

function time(p: Problems, req: Req, key: string, field: string): number {
  const v = req[key] ?? 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > MAX_TIME_MS) {
    p.add(field, `${String(v).slice(0, 40)} is not a time (Unix ms from 0 to ${MAX_TIME_MS}, year 9999)`);
    return 0;
  }
  return v;
}

function filter(p: Problems, req: Req, limits: Readonly<Limits>, deadLetters: boolean): void {
  const f = (req['filter'] ?? {}) as Req;
  if (typeof f !== 'object') return p.add('filter', 'must be a message');
  name(p, f, 'edgeId', 'filter.edge_id');
  name(p, f, 'namespace', 'filter.namespace');
  const since = time(p, f, 'sinceUnixMs', 'filter.since_unix_ms');
  const until = time(p, f, 'untilUnixMs', 'filter.until_unix_ms');
  if (since && until && until <= since) {
    p.add(
      'filter.until_unix_ms',
      `until (${new Date(until).toISOString()}) must be after since (${new Date(since).toISOString()})`,
    );
  }
  str(p, f, 'correlationId', 'filter.correlation_id', limits.maxCorrelationIdBytes);
  if (deadLetters) name(p, f, 'plugin', 'filter.plugin');
}

function page(p: Problems, req: Req): void {
  int(p, req, 'limit', 'limit', MAX_SEQS);
  int(p, req, 'afterSeq', 'after_seq');
}

function selection(p: Problems, req: Req, limits: Readonly<Limits>): void {
  const seqs = req['seqs'] ?? [];
  if (!Array.isArray(seqs)) return p.add('seqs', 'must be a list');
  if (seqs.length > MAX_SEQS) p.add('seqs', `${seqs.length} seqs, above ${MAX_SEQS} in one call`);
  const bad = seqs.find((s) => typeof s !== 'number' || !Number.isSafeInteger(s) || s < 1);
  if (bad !== undefined) p.add('seqs', `${String(bad).slice(0, 40)} is not a dead-letter seq (1 to 2^53-1)`);
  const all = req['all'] === true;
  const confirm = str(p, req, 'confirm', 'confirm', 16);
  if (all && confirm !== 'all') p.add('confirm', 'must be "all" when all is true (nothing is selected by all alone)');
  if (!all && confirm !== '') p.add('confirm', 'goes with all = true only');
  if (all && seqs.length > 0) p.add('seqs', 'give seqs or all, not both');
  if (!all && seqs.length === 0) p.add('seqs', 'give seqs, or all with confirm = "all"');
  filter(p, req, limits, true);
}

type Check = (p: Problems, req: Req, limits: Readonly<Limits>) => void;

const CHECKS = {
  ListEdges: () => undefined,
  ForgetEdge: (p, req) => {
    name(p, req, 'edgeId', 'edge_id');
    if (!req['edgeId']) p.add('edge_id', 'required');
  },
  PutConfig: (p, req) => {
    str(p, req, 'key', 'key', MAX_ID_CHARS);
    name(p, req, 'namespace', 'namespace');
    const v = str(p, req, 'valueJson', 'value_json', MAX_VALUE_JSON_BYTES, 'bytes');
    if (v === '') p.add('value_json', 'required (JSON text; "null" is a value)');
  },
  GetConfig: (p, req) => {
    str(p, req, 'key', 'key', MAX_ID_CHARS);
    name(p, req, 'namespace', 'namespace');
  },
  DeleteConfig: (p, req) => {
    str(p, req, 'key', 'key', MAX_ID_CHARS);
    name(p, req, 'namespace', 'namespace');
  },
  ListConfig: (p, req) => {
    name(p, req, 'namespace', 'namespace');
    str(p, req, 'prefix', 'prefix', MAX_ID_CHARS);
  },
  ListPayloads: (p, req, l) => {
    filter(p, req, l, false);
    page(p, req);
  },
  GetPayload: (p, req) => {
    const id = str(p, req, 'id', 'id', MAX_ID_CHARS);
    const seq = int(p, req, 'streamSeq', 'stream_seq');
    if ((id === '') === (seq === 0) && p.list.length === 0) p.add('id', 'give exactly one of id and stream_seq');
  },
  ListDeadLetters: (p, req, l) => {
    filter(p, req, l, true);
    page(p, req);
  },
  Redrive: (p, req, l) => selection(p, req, l),
  Drop: (p, req, l) => selection(p, req, l),
  Replay: (p, req, l) => {
    filter(p, req, l, false);
    name(p, req, 'plugin', 'plugin');
  },
} satisfies Record<string, Check>;

/** A method of the admin service (admin.proto), as checked here. */
export type AdminMethod = keyof typeof CHECKS;

/**
 * Checks one decoded request of `method`.
 * @throws HubspokeError `HS_ERR_INVALID_ARGUMENT` naming every bad field
 */
export function checkRequest(method: AdminMethod, req: unknown, limits: Readonly<Limits>): void {
  if (typeof req !== 'object' || req === null) {
    throw new HubspokeError(ErrorCode.InvalidArgument, `${method}: the request is not a message`);
  }
  const p = new Problems();
  const check: Check = CHECKS[method];
  check(p, req as Req, limits);
  p.throwIfAny(method);
}
