import { ErrorCode, HubspokeError, assertName, decodeEnvelope, type Limits } from '@hubspoke/sdk';
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import { subjects } from '@hubspoke/runtime';
import type {
  GetPayloadReply,
  GetPayloadRequest,
  ListPayloadsReply,
  ListPayloadsRequest,
  PayloadFilter,
  PayloadInfo,
} from '../admin/types.js';
import { PAYLOAD_STREAM, orderedConsumer } from './streams.js';

/** Where a stored message came from: `<prefix>.<ns>.<edge>` (the subject is the edge's identity). */
export function edgeOfSubject(subject: string): { ns: string; edge: string } {
  const [, , ns = '', edge = ''] = subject.split('.');
  return { ns, edge };
}

/**
 * The one filter subject that selects a filter's edge and namespace under `hs.pay` or `hs.dlq` (`kind`).
 * A single string: nats-server 2.9 refuses a list of filter subjects. Edge ids are unique across namespaces,
 * so an edge alone is `<prefix>.*.<edge>`.
 * @throws HubspokeError `HS_ERR_INVALID_NAME` naming the field
 */
export function filterSubject(kind: 'pay' | 'dlq', f: PayloadFilter | undefined): string {
  const ns = f?.namespace ?? '';
  const edge = f?.edgeId ?? '';
  if (ns) assertName('namespace', ns);
  if (edge) assertName('edge id', edge);
  return subjects.filter(kind, ns, edge);
}

/** Checks the times of a filter. @throws HubspokeError `HS_ERR_INVALID_ARGUMENT` */
export function checkTimes(f: PayloadFilter | undefined): void {
  const since = f?.sinceUnixMs ?? 0;
  const until = f?.untilUnixMs ?? 0;
  if (since < 0 || until < 0)
    throw new HubspokeError(ErrorCode.InvalidArgument, 'since and until must not be negative');
  if (since && until && until <= since) {
    throw new HubspokeError(
      ErrorCode.InvalidArgument,
      `until (${new Date(until).toISOString()}) must be after since (${new Date(since).toISOString()})`,
    );
  }
}

/** Bodies in one page of a list, at most (a page ends early past it, `truncated`): gRPC messages stay small. */
export const PAGE_BODY_BYTES = 16 * 1024 * 1024;

/** The page size asked for: 0 means 100; more than 10,000 is refused. */
export function pageLimit(limit: number | undefined): number {
  const n = limit ?? 0;
  if (!Number.isInteger(n) || n < 0 || n > 10_000) {
    throw new HubspokeError(ErrorCode.InvalidArgument, `limit ${n} is out of range (0-10000; 0 means 100)`);
  }
  return n || 100;
}

const NO_BODY = new Uint8Array(0);

/** A message of the payload or dead-letter stream. */
export interface StoredPayload {
  subject: string;
  seq: number;
  data: Uint8Array;
  receivedUnixMs: number;
  headers: MsgHdrs | undefined;
}

/**
 * What the admin API shows of a stored payload. A message that does not decode is still shown, with its
 * subject's edge and the decoder's complaint in `error`.
 */
export function payloadInfo(m: StoredPayload, limits: Readonly<Limits>, includeBody: boolean): PayloadInfo {
  const { ns, edge } = edgeOfSubject(m.subject);
  const info: PayloadInfo = {
    streamSeq: m.seq,
    id: '',
    namespace: ns,
    edgeId: edge,
    correlationId: '',
    causationId: '',
    origin: '',
    edgeTimeUnixMs: 0,
    receivedUnixMs: m.receivedUnixMs,
    metadata: {},
    contentType: '',
    size: 0,
    sequence: 0,
    sequenceEpoch: '',
    redriven: m.headers?.get('Nats-Msg-Id').startsWith('redrive-') ?? false,
    error: '',
    traceparent: '',
    body: NO_BODY,
    topic: '',
  };
  try {
    const env = decodeEnvelope(m.data, { kind: 'payload', limits });
    Object.assign(info, {
      id: env.id,
      correlationId: env.correlationId,
      causationId: env.causationId,
      origin: env.origin,
      edgeTimeUnixMs: env.timeUnixMs,
      metadata: { ...env.metadata },
      contentType: env.contentType,
      size: env.payload.length,
      sequence: env.sequence ?? 0,
      sequenceEpoch: env.sequenceEpoch ?? '',
      traceparent: env.traceparent,
      topic: env.topic,
      body: includeBody ? env.payload : NO_BODY,
    });
  } catch (err) {
    info.error = (err as Error).message;
    if (includeBody) info.body = m.data;
  }
  return info;
}

/** True when a payload matches a filter's correlation id (edge and namespace are the subject's business). */
export function matchesCorrelation(info: PayloadInfo, f: PayloadFilter | undefined): boolean {
  return !f?.correlationId || info.correlationId === f.correlationId;
}

/** Where and how far a {@link scan} reads. */
export interface ScanOptions {
  stream: string;
  subject: string;
  /** Start at this hub time. */
  sinceUnixMs?: number | undefined;
  /** Start after this stream sequence (paging). */
  afterSeq?: number | undefined;
  /** Stop at the first message stored at or after this hub time. */
  untilUnixMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Give up when no message comes for this long although some are pending (they expired meanwhile). @default 10000 */
  idleMs?: number;
}

/** A bounded read of a stream: what it expects to read, and the messages. */
export interface Scan extends AsyncIterable<JsMsg> {
  /** Messages of the subject from the start position, when the scan began. */
  readonly total: number;
}

const ms = (m: JsMsg): number => Math.floor(m.info.timestampNanos / 1_000_000);

/**
 * Reads a stream from a start (a time, a sequence, or its oldest message) up to the newest message at the
 * time of the call, through an ordered consumer (ephemeral, in memory, deleted after). Messages stored while
 * it reads are left out, so a scan always ends.
 */
export async function scan(js: JetStreamClient, o: ScanOptions): Promise<Scan> {
  const jsm = await js.jetstreamManager(false);
  const last = (await jsm.streams.info(o.stream)).state.last_seq;
  const startSeq = (o.afterSeq ?? 0) + 1;
  const consumer = await orderedConsumer(js, o.stream, o.subject, {
    ...(o.sinceUnixMs && !o.afterSeq
      ? { opt_start_time: new Date(o.sinceUnixMs).toISOString() }
      : { opt_start_seq: startSeq }),
  });
  const total = last === 0 || startSeq > last ? 0 : (await consumer.info(true)).num_pending;
  const idleMs = o.idleMs ?? 10_000;
  async function* read(): AsyncGenerator<JsMsg> {
    if (total === 0) return;
    const messages = await consumer.consume({ max_messages: 256 });
    const it = messages[Symbol.asyncIterator]();
    let timer: NodeJS.Timeout | undefined;
    try {
      for (;;) {
        if (o.signal?.aborted) return;
        const idle = new Promise<'idle'>((r) => (timer = setTimeout(() => r('idle'), idleMs)));
        const next = await Promise.race([it.next(), idle]);
        clearTimeout(timer);
        if (next === 'idle' || next.done) return;
        const m = next.value;
        if (m.seq > last) return;
        if (o.untilUnixMs && ms(m) >= o.untilUnixMs) return;
        if (!o.sinceUnixMs || ms(m) >= o.sinceUnixMs) yield m;
        if (m.info.pending === 0 || m.seq >= last) return;
      }
    } finally {
      clearTimeout(timer);
      // Not close(): it waits for the iterator to be drained, and this one is left mid-way.
      messages.stop();
    }
  }
  return {
    total,
    async *[Symbol.asyncIterator]() {
      try {
        yield* read();
      } finally {
        await consumer.delete().catch(() => undefined);
      }
    },
  };
}

/** The hub time of a scanned message. */
export const receivedUnixMs = ms;

/** What {@link payloadInfo} reads of a scanned message (its fields are getters: a spread would copy none). */
export function stored(m: JsMsg): StoredPayload {
  return { subject: m.subject, seq: m.seq, data: m.data, headers: m.headers, receivedUnixMs: ms(m) };
}

/** Payloads matching a filter, oldest first, a page at a time. */
export async function listPayloads(
  js: JetStreamClient,
  limits: Readonly<Limits>,
  req: ListPayloadsRequest,
): Promise<ListPayloadsReply> {
  const limit = pageLimit(req.limit);
  checkTimes(req.filter);
  const s = await scan(js, {
    stream: PAYLOAD_STREAM,
    subject: filterSubject('pay', req.filter),
    sinceUnixMs: req.filter?.sinceUnixMs,
    untilUnixMs: req.filter?.untilUnixMs,
    afterSeq: req.afterSeq,
  });
  const payloads: PayloadInfo[] = [];
  let bytes = 0;
  for await (const m of s) {
    const info = payloadInfo(stored(m), limits, req.includeBody === true);
    if (!matchesCorrelation(info, req.filter)) continue;
    if (payloads.length === limit || (bytes > 0 && bytes + info.body.length > PAGE_BODY_BYTES)) {
      return { payloads, truncated: true };
    }
    bytes += info.body.length;
    payloads.push(info);
  }
  return { payloads, truncated: false };
}

/**
 * One payload, by stream sequence or by id (a search of the whole stream, oldest first: a redriven copy
 * has the id of its original).
 * @throws HubspokeError `HS_ERR_NOT_FOUND` when there is none
 */
export async function getPayload(
  js: JetStreamClient,
  limits: Readonly<Limits>,
  req: GetPayloadRequest,
): Promise<GetPayloadReply> {
  const id = req.id ?? '';
  const seq = req.streamSeq ?? 0;
  if ((id === '') === (seq === 0)) {
    throw new HubspokeError(ErrorCode.InvalidArgument, 'give exactly one of id and stream_seq');
  }
  if (seq) {
    const jsm = await js.jetstreamManager(false);
    const m = await jsm.streams.getMessage(PAYLOAD_STREAM, { seq }).catch((err: unknown) => {
      if (/no message found|not found|stream store EOF/i.test(String(err))) return null;
      throw err;
    });
    if (!m) throw new HubspokeError(ErrorCode.NotFound, `no payload at stream_seq ${seq} in ${PAYLOAD_STREAM}`);
    return {
      payload: payloadInfo(
        { subject: m.subject, seq: m.seq, data: m.data, headers: m.header, receivedUnixMs: m.time.getTime() },
        limits,
        true,
      ),
    };
  }
  for await (const m of await scan(js, { stream: PAYLOAD_STREAM, subject: subjects.payloadStreamAll })) {
    const info = payloadInfo(stored(m), limits, true);
    if (info.id === id) return { payload: info };
  }
  throw new HubspokeError(ErrorCode.NotFound, `no payload with id ${JSON.stringify(id)} in ${PAYLOAD_STREAM}`);
}
