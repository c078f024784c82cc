import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import type { AdminOps } from '../admin/operations.js';
import type { DeadLetterFilter, PayloadInfo, ReplayProgress } from '../admin/types.js';
import { readJson, sendJson } from './http.js';
import type { LiveHub } from './live.js';
import type { PluginUIs } from './plugins.js';

/** What the API routes act on. */
export interface ApiDeps {
  ops: AdminOps;
  live: LiveHub;
  plugins: PluginUIs;
}

/** A payload as JSON: the body as text when it is UTF-8, else base64. */
function payloadJson(p: PayloadInfo | null): unknown {
  if (!p) return null;
  const { body, ...rest } = p;
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const text = buf.toString('utf8');
  const isText = Buffer.from(text, 'utf8').equals(buf) && !/[\0-\x08\x0e-\x1f]/.test(text);
  return { ...rest, bodyText: isText ? text : undefined, bodyBase64: isText ? undefined : buf.toString('base64') };
}

function num(q: URLSearchParams, k: string): number | undefined {
  const v = q.get(k);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new HubspokeError(ErrorCode.InvalidArgument, `${k}: ${JSON.stringify(v)} is not a non-negative integer`);
  }
  return n;
}

function filterOf(q: URLSearchParams): DeadLetterFilter {
  const f: DeadLetterFilter = {};
  for (const k of ['edgeId', 'namespace', 'correlationId', 'plugin'] as const) {
    const v = q.get(k);
    if (v) f[k] = v;
  }
  const since = num(q, 'sinceUnixMs');
  const until = num(q, 'untilUnixMs');
  if (since !== undefined) f.sinceUnixMs = since;
  if (until !== undefined) f.untilUnixMs = until;
  return f;
}

/** The filter of a redrive or drop of everything matching (`{ all: true, confirm: 'all', filter }`). */
function bodyFilterOf(raw: unknown): DeadLetterFilter {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new HubspokeError(
      ErrorCode.InvalidArgument,
      'filter: an object of edgeId, namespace, correlationId, plugin, sinceUnixMs, untilUnixMs',
    );
  }
  const r = raw as Record<string, unknown>;
  const f: DeadLetterFilter = {};
  for (const k of ['edgeId', 'namespace', 'correlationId', 'plugin'] as const) {
    const v = r[k];
    if (v === undefined || v === '') continue;
    if (typeof v !== 'string') throw new HubspokeError(ErrorCode.InvalidArgument, `filter.${k}: a string`);
    f[k] = v;
  }
  for (const k of ['sinceUnixMs', 'untilUnixMs'] as const) {
    const v = r[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number')
      throw new HubspokeError(ErrorCode.InvalidArgument, `filter.${k}: a number (ms since 1970)`);
    f[k] = v;
  }
  return f;
}

function seqsOf(body: unknown): number[] {
  const seqs = (body as { seqs?: unknown }).seqs;
  if (!Array.isArray(seqs) || seqs.length === 0 || seqs.some((s) => typeof s !== 'number')) {
    throw new HubspokeError(ErrorCode.InvalidArgument, 'seqs: a non-empty array of dead-letter sequence numbers');
  }
  return seqs as number[];
}

function str(body: unknown, k: string, required: boolean): string {
  const v = (body as Record<string, unknown>)[k];
  if (v === undefined && !required) return '';
  if (typeof v !== 'string' || (required && v === '')) {
    throw new HubspokeError(ErrorCode.InvalidArgument, `${k}: a ${required ? 'non-empty ' : ''}string is required`);
  }
  return v;
}

/**
 * The console's operations routes (behind the session), one per admin operation; all call {@link AdminOps}. The
 * routes only turn a query or body into the operation's request; the operation checks its fields (bounds, names,
 * times) as it does for the gRPC API, and a bad one answers 400 with the field named.
 */
export class ConsoleApi {
  private readonly replays = new Map<string, AbortController>();

  constructor(private readonly d: ApiDeps) {}

  /** Answers `/api/<rest>`; false when no route matches. */
  async handle(req: IncomingMessage, res: ServerResponse, parts: string[], q: URLSearchParams): Promise<boolean> {
    const { ops } = this.d;
    const m = req.method ?? 'GET';
    const [a, b, c, d] = parts;
    const ok = (body: unknown): true => (sendJson(res, 200, body), true);
    if (a === 'edges' && !b && m === 'GET') return ok({ edges: await ops.listEdges() });
    if (a === 'edges' && b && c === 'forget' && m === 'POST')
      return ok({ forgotten: await ops.forgetEdge({ edgeId: b }) });
    if (a === 'payloads' && !b && m === 'GET') {
      const r = await ops.listPayloads({
        filter: filterOf(q),
        limit: num(q, 'limit') ?? 100,
        afterSeq: num(q, 'afterSeq') ?? 0,
      });
      return ok({ payloads: r.payloads.map(payloadJson), truncated: r.truncated });
    }
    if (a === 'payloads' && b && m === 'GET') {
      const seq = /^\d+$/.test(b) ? Number(b) : undefined;
      const r = await ops.getPayload(seq !== undefined ? { streamSeq: seq } : { id: b });
      if (!r.payload)
        return (sendJson(res, 404, { error: { code: ErrorCode.InvalidArgument, message: `no payload ${b}` } }), true);
      return ok({ payload: payloadJson(r.payload) });
    }
    if (a === 'dead-letters' && !b && m === 'GET') {
      const r = await ops.listDeadLetters({
        filter: filterOf(q),
        limit: num(q, 'limit') ?? 100,
        afterSeq: num(q, 'afterSeq') ?? 0,
      });
      return ok({
        deadLetters: r.deadLetters.map((x) => ({ ...x, payload: payloadJson(x.payload) })),
        truncated: r.truncated,
      });
    }
    if (a === 'dead-letters' && (b === 'redrive' || b === 'drop') && m === 'POST') {
      const body = await readJson(req);
      const all = (body as { all?: unknown }).all === true;
      // Everything matching a filter (the admin API checks confirm: 'all'), or the seqs ticked.
      const sel = all
        ? {
            all: true,
            confirm: (body as { confirm?: unknown }).confirm as 'all',
            filter: bodyFilterOf((body as { filter?: unknown }).filter),
          }
        : { seqs: seqsOf(body) };
      const r = b === 'redrive' ? await ops.redrive(sel) : await ops.drop(sel);
      this.d.live.broadcast('dead-letters', { changed: true });
      return ok(r);
    }
    if (a === 'replay' && !b && m === 'POST') return ok(await this.startReplay(await readJson(req)));
    if (a === 'replay' && b && c === 'cancel' && m === 'POST') {
      const ac = this.replays.get(b);
      ac?.abort();
      return ok({ cancelled: ac !== undefined });
    }
    if (a === 'config' && !b && m === 'GET') {
      const namespace = q.get('namespace') ?? '';
      return ok({ namespace, entries: await ops.listConfig({ namespace, prefix: q.get('prefix') ?? '' }) });
    }
    if (a === 'config' && !b && m === 'PUT') {
      const body = await readJson(req);
      const key = str(body, 'key', true);
      const namespace = str(body, 'namespace', false);
      if (!('value' in (body as object))) throw new HubspokeError(ErrorCode.InvalidArgument, 'value: required');
      const valueJson = JSON.stringify((body as { value: unknown }).value);
      const revision = await ops.putConfig({ key, namespace, valueJson });
      return ok({ key, namespace, revision });
    }
    if (a === 'config' && !b && m === 'DELETE') {
      const key = q.get('key') ?? '';
      if (!key) throw new HubspokeError(ErrorCode.InvalidArgument, 'key: required');
      return ok({ deleted: await ops.deleteConfig({ key, namespace: q.get('namespace') ?? '' }) });
    }
    if (a === 'plugins' && !b && m === 'GET') return ok({ plugins: await this.d.plugins.list() });
    if (a === 'plugins' && b && c === 'rpc' && d && m === 'POST') {
      const result = await this.d.plugins.rpc(b, d, await readJson(req));
      return ok({ result: result === undefined ? null : result });
    }
    return false;
  }

  /** Cancels running replays (at close). */
  close(): void {
    for (const ac of this.replays.values()) ac.abort();
  }

  /** Starts a replay; answers once it has checked the request and counted what it will scan (or refused it). */
  private async startReplay(body: unknown): Promise<{ run: string }> {
    const b = body as { filter?: Record<string, unknown>; dryRun?: unknown; plugin?: unknown };
    const filter = filterOf(
      new URLSearchParams(Object.entries(b.filter ?? {}).map(([k, v]): [string, string] => [k, String(v)])),
    );
    const run = randomBytes(6).toString('base64url');
    const ac = new AbortController();
    this.replays.set(run, ac);
    let started: () => void = () => undefined;
    const first = new Promise<void>((resolve) => (started = resolve));
    const report = (p: ReplayProgress): void => {
      started();
      this.d.live.broadcast('replay', { run, ...p });
    };
    const done = this.d.ops
      .replay(
        { filter, dryRun: b.dryRun === true, plugin: typeof b.plugin === 'string' ? b.plugin : '' },
        report,
        ac.signal,
      )
      .finally(() => this.replays.delete(run));
    await Promise.race([first, done]);
    done.catch(() => undefined);
    return { run };
  }
}
