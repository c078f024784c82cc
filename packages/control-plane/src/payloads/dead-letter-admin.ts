import { ErrorCode, HubspokeError, isName, type Limits } from '@hubspoke/sdk';
import { subjects, type JetStreamPublisher } from '@hubspoke/runtime';
import type { JetStreamClient, JetStreamManager, StoredMsg } from '@nats-io/jetstream';
import type {
  DeadLetter,
  DeadLetterFilter,
  DropReply,
  DropRequest,
  ListDeadLettersReply,
  ListDeadLettersRequest,
  RedriveReply,
  RedriveRequest,
} from '../admin/types.js';
import {
  PAGE_BODY_BYTES,
  checkTimes,
  edgeOfSubject,
  filterSubject,
  pageLimit,
  payloadInfo,
  scan,
  stored,
  type StoredPayload,
} from './inspect.js';
import { isForeign } from './decode.js';
import { DLQ_STREAM } from './streams.js';

/** What the dead-letter operations need of the control plane. */
export interface DeadLetterDeps {
  js: JetStreamClient;
  jsm: JetStreamManager;
  publisher: JetStreamPublisher;
  limits: Readonly<Limits>;
}

/** A dead letter as the admin API shows it, from the headers `DeadLetters.put` wrote. */
export function deadLetterOf(m: StoredPayload, limits: Readonly<Limits>, includeBody: boolean): DeadLetter {
  const h = (k: string): string => m.headers?.get(k) ?? '';
  const payload = payloadInfo({ ...m, receivedUnixMs: 0 }, limits, includeBody);
  payload.streamSeq = Number(h('Hs-Dlq-Stream-Seq')) || 0;
  payload.redriven = false;
  const plugin = h('Hs-Dlq-Plugin');
  return {
    seq: m.seq,
    payload,
    reason: h('Hs-Dlq-Reason'),
    plugin: plugin === '-' ? '' : plugin,
    attempts: Number(h('Hs-Dlq-Attempts')) || 0,
    deadLetteredUnixMs: Date.parse(h('Hs-Dlq-At')) || m.receivedUnixMs,
  };
}

function matches(dl: DeadLetter, f: DeadLetterFilter | undefined): boolean {
  if (f?.plugin && dl.plugin !== f.plugin) return false;
  return !f?.correlationId || dl.payload?.correlationId === f.correlationId;
}

async function* matching(d: DeadLetterDeps, f: DeadLetterFilter | undefined, afterSeq: number, includeBody: boolean) {
  checkTimes(f);
  const s = await scan(d.js, {
    stream: DLQ_STREAM,
    subject: filterSubject('dlq', f),
    sinceUnixMs: f?.sinceUnixMs,
    untilUnixMs: f?.untilUnixMs,
    afterSeq,
  });
  for await (const m of s) {
    const dl = deadLetterOf(stored(m), d.limits, includeBody);
    if (matches(dl, f)) yield dl;
  }
}

/** Dead letters matching a filter, oldest first, a page at a time. */
export async function listDeadLetters(d: DeadLetterDeps, req: ListDeadLettersRequest): Promise<ListDeadLettersReply> {
  const limit = pageLimit(req.limit);
  const deadLetters: DeadLetter[] = [];
  let bytes = 0;
  for await (const dl of matching(d, req.filter, req.afterSeq ?? 0, req.includeBody === true)) {
    const size = dl.payload?.body.length ?? 0;
    if (deadLetters.length === limit || (bytes > 0 && bytes + size > PAGE_BODY_BYTES)) {
      return { deadLetters, truncated: true };
    }
    bytes += size;
    deadLetters.push(dl);
  }
  return { deadLetters, truncated: false };
}

/** A dead letter a redrive or drop acts on, with its reason when the selection read it. */
interface Selected {
  seq: number;
  reason?: string;
}

/** The dead letters a redrive or drop acts on: those given, or every dead letter matching the filter now. */
async function selection(d: DeadLetterDeps, req: RedriveRequest, what: string): Promise<Selected[]> {
  const seqs = req.seqs ?? [];
  if (seqs.length > 0 && req.all)
    throw new HubspokeError(ErrorCode.InvalidArgument, `${what}: give seqs or all, not both`);
  if (seqs.length === 0 && !req.all) throw new HubspokeError(ErrorCode.InvalidArgument, `${what}: give seqs, or all`);
  if (!req.all) {
    const hasFilter = Object.values(req.filter ?? {}).some((v) => v !== '' && v !== 0 && v !== undefined);
    if (hasFilter) throw new HubspokeError(ErrorCode.InvalidArgument, `${what}: a filter goes with all only`);
    const bad = seqs.find((s) => !Number.isSafeInteger(s) || s < 1);
    if (bad !== undefined)
      throw new HubspokeError(ErrorCode.InvalidArgument, `${what}: seq ${bad} is not a positive integer`);
    return [...new Set(seqs)].map((seq) => ({ seq }));
  }
  const out: Selected[] = [];
  for await (const dl of matching(d, req.filter, 0, false)) out.push({ seq: dl.seq, reason: dl.reason });
  return out;
}

async function getDeadLetter(jsm: JetStreamManager, seq: number): Promise<StoredMsg | null> {
  try {
    return await jsm.streams.getMessage(DLQ_STREAM, { seq });
  } catch (err) {
    if (/no message found|not found|stream store EOF/i.test(String(err))) return null;
    throw err;
  }
}

/** Field 14 (sequence) = 0 appended: the copy is no longer behind the edge's dispatch record, which already counts it. */
const SEQUENCE_ZERO = Uint8Array.of(0x70, 0x00);

/**
 * Re-publishes dead letters to their edge's payload subject, then deletes them from the dead-letter stream. The
 * subject comes from the dead letter's own subject (`hs.dlq.<ns>.<edge>`), never from its content. The copy
 * keeps its id and bytes, with its outbox sequence set to 0 (the edge's dispatch record has passed it) and
 * `Nats-Msg-Id: redrive-<seq>`, so a redrive repeated after a failed delete is dropped by JetStream's dedup.
 */
export async function redrive(d: DeadLetterDeps, req: RedriveRequest): Promise<RedriveReply> {
  const selected = await selection(d, req, 'redrive');
  await refuseForeign(d, selected);
  const seqs = selected.map((s) => s.seq);
  const reply: RedriveReply = { redriven: [], missing: [] };
  for (const seq of seqs) {
    const m = await getDeadLetter(d.jsm, seq);
    if (!m) {
      reply.missing.push(seq);
      continue;
    }
    const { ns, edge } = edgeOfSubject(m.subject);
    if (!isName(ns) || !isName(edge)) {
      throw new HubspokeError(ErrorCode.Internal, `dead letter ${seq} has subject ${m.subject}, which names no edge`);
    }
    const data = new Uint8Array(m.data.length + SEQUENCE_ZERO.length);
    data.set(m.data, 0);
    data.set(SEQUENCE_ZERO, m.data.length);
    try {
      const ack = await d.publisher.publish(subjects.payload(ns, edge), data, { msgId: `redrive-${seq}` });
      await d.jsm.streams.deleteMessage(DLQ_STREAM, seq, false);
      const payloadId = payloadInfo({ ...storedOf(m), receivedUnixMs: 0 }, d.limits, false).id;
      reply.redriven.push({ seq, payloadId, streamSeq: ack.seq });
    } catch (err) {
      throw new HubspokeError(
        ErrorCode.NotConnected,
        `redrive stopped at dead letter ${seq} (${reply.redriven.length} of ${seqs.length} redriven): ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  return reply;
}

/**
 * Refuses, before anything is redriven, a selection holding a dead letter that is not the payload of the edge whose
 * subject it is on (its envelope names another edge, or a compromised leaf sourced it from its own outbox onto
 * that subject: docs/security.md). Redriving republishes it on that subject, where it would pass as that edge's.
 * @throws HubspokeError `HS_ERR_INVALID_ARGUMENT` naming them
 */
async function refuseForeign(d: DeadLetterDeps, selected: readonly Selected[]): Promise<void> {
  const foreign: number[] = [];
  for (const { seq, reason } of selected) {
    // A selection by filter read every reason already; seqs given are read here.
    const why = reason ?? (await getDeadLetter(d.jsm, seq))?.header?.get('Hs-Dlq-Reason') ?? '';
    if (isForeign(why)) foreign.push(seq);
  }
  if (foreign.length === 0) return;
  const list =
    foreign.length > 10 ? `${foreign.slice(0, 10).join(', ')} and ${foreign.length - 10} more` : foreign.join(', ');
  throw new HubspokeError(
    ErrorCode.InvalidArgument,
    `redrive: dead letter ${list} ${foreign.length > 1 ? 'are' : 'is'} not the payload of the edge whose subject ` +
      `${foreign.length > 1 ? 'they are' : 'it is'} on (the envelope names another edge, or it was sourced from another ` +
      `edge's outbox; see its reason): redriven, it would pass as that edge's. Nothing was redriven: drop ` +
      `${foreign.length > 1 ? 'them' : 'it'}, or redrive the others by seq`,
  );
}

/** Deletes dead letters for good. */
export async function drop(d: DeadLetterDeps, req: DropRequest): Promise<DropReply> {
  const seqs = (await selection(d, req, 'drop')).map((s) => s.seq);
  const reply: DropReply = { dropped: [], missing: [] };
  for (const seq of seqs) {
    try {
      if (await d.jsm.streams.deleteMessage(DLQ_STREAM, seq, false)) reply.dropped.push(seq);
      else reply.missing.push(seq);
    } catch (err) {
      if (!/no message found|not found|stream store EOF/i.test(String(err))) throw err;
      reply.missing.push(seq);
    }
  }
  return reply;
}

function storedOf(m: StoredMsg): Omit<StoredPayload, 'receivedUnixMs'> {
  return { subject: m.subject, seq: m.seq, data: m.data, headers: m.header };
}
