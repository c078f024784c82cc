import type { Envelope } from '@hubspoke/sdk';
import type { Middleware } from './pipeline.js';

/**
 * An edge's outbox position dealt with: its outbox id (epoch), the last sequence, the sequences below it not dealt
 * with yet (`gaps`), and the outbox before.
 */
export interface OutboxPosition {
  epoch: string;
  seq: number;
  /**
   * Sequences below `seq` that did not come yet, as `[from, to]` ranges: the hub stored later payloads of the
   * outbox before them (a forwarder's pipelined publishes where the first met no responders and later ones got
   * through; they are sent again). They are offered when they come, late, instead of being taken for copies.
   */
  gaps?: [number, number][];
  prev?: { epoch: string; seq: number };
}

/** A jump larger than this is a new start (an outbox first seen here after it was purged), not a gap. */
const MAX_GAP = 4096;
/** Gap ranges kept at most; the oldest goes first (its payloads, should they still come, count as copies). */
const MAX_GAPS = 64;

const inGaps = (gaps: readonly [number, number][] | undefined, seq: number): boolean =>
  gaps?.some(([from, to]) => seq >= from && seq <= to) ?? false;

/** `gaps` with a new range for the sequences after `from` and before `to`, when that is a gap. */
function withGap(gaps: [number, number][] | undefined, from: number, to: number): [number, number][] | undefined {
  if (to - from <= 1 || to - from - 1 > MAX_GAP) return gaps;
  const all: [number, number][] = [...(gaps ?? []), [from + 1, to - 1]];
  return all.slice(-MAX_GAPS);
}

/** `gaps` without `seq`. */
function without(gaps: [number, number][], seq: number): [number, number][] | undefined {
  const out: [number, number][] = [];
  for (const [from, to] of gaps) {
    if (seq < from || seq > to) out.push([from, to]);
    else {
      if (from < seq) out.push([from, seq - 1]);
      if (seq < to) out.push([seq + 1, to]);
    }
  }
  return out.length > 0 ? out : undefined;
}

/** The highest outbox sequence with every one at or below it dealt with (below the first gap). */
export function dealtThrough(pos: Pick<OutboxPosition, 'seq' | 'gaps'>): number {
  return pos.gaps?.length ? Math.min(pos.seq, ...pos.gaps.map(([from]) => from - 1)) : pos.seq;
}

/** True when the payload's outbox position was dealt with already (a copy sent again). */
export function seenBefore(pos: OutboxPosition, env: Envelope): boolean {
  if (!env.sequence) return false;
  const epoch = env.sequenceEpoch ?? '';
  if (epoch === pos.epoch) return env.sequence <= pos.seq && !inGaps(pos.gaps, env.sequence);
  return pos.prev !== undefined && epoch === pos.prev.epoch && env.sequence <= pos.prev.seq;
}

/** The position after dealing with `env` (a new outbox id makes the current one the previous). */
export function advance(pos: OutboxPosition, env: Envelope): OutboxPosition {
  if (!env.sequence) return pos;
  const epoch = env.sequenceEpoch ?? '';
  const seq = env.sequence;
  if (epoch === pos.epoch && seq === pos.seq + 1 && !pos.gaps) {
    // The common case, once per payload: the next in order, no gaps.
    const next: OutboxPosition = { epoch, seq };
    if (pos.prev) next.prev = pos.prev;
    return next;
  }
  const { gaps: _, ...rest } = pos;
  if (epoch === pos.epoch) {
    const gaps = seq > pos.seq ? withGap(pos.gaps, pos.seq, seq) : pos.gaps && without(pos.gaps, seq);
    return { ...rest, seq: Math.max(pos.seq, seq), ...(gaps ? { gaps } : {}) };
  }
  if (pos.prev !== undefined && epoch === pos.prev.epoch) return pos;
  // A new outbox counts from 1: what is below its first payload here did not come yet.
  const gaps = withGap(undefined, 0, seq);
  return { epoch, seq, ...(gaps ? { gaps } : {}), ...(pos.epoch ? { prev: { epoch: pos.epoch, seq: pos.seq } } : {}) };
}

/**
 * Drops a payload whose outbox position the edge's record has dealt with: the forwarder sends again what the hub
 * did not acknowledge, and a copy may come after JetStream's dedup window. Whatever else becomes of a payload
 * (handled, dead-lettered, an event) moves the position on; a stopped one does not.
 */
export function dedupStep(
  position: { get(): OutboxPosition; set(p: OutboxPosition): void },
  onDuplicate: () => void,
): Middleware {
  return (next) => async (d) => {
    const env = d.env;
    if (env && seenBefore(position.get(), env)) {
      onDuplicate();
      return { kind: 'duplicate' };
    }
    const r = await next(d);
    if (env && r.kind !== 'stopped') position.set(advance(position.get(), env));
    return r;
  };
}
