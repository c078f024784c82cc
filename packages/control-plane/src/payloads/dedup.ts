import type { Envelope } from '@hubspoke/sdk';
import type { Middleware } from './pipeline.js';

/** An edge's outbox position dealt with: its outbox id (epoch), the last sequence, and the outbox before. */
export interface OutboxPosition {
  epoch: string;
  seq: number;
  prev?: { epoch: string; seq: number };
}

/** True when the payload's outbox position was dealt with already (a copy the forwarder sent again). */
export function seenBefore(pos: OutboxPosition, env: Envelope): boolean {
  if (!env.sequence) return false;
  const epoch = env.sequenceEpoch ?? '';
  if (epoch === pos.epoch) return env.sequence <= pos.seq;
  return pos.prev !== undefined && epoch === pos.prev.epoch && env.sequence <= pos.prev.seq;
}

/** The position after dealing with `env` (a new outbox id makes the current one the previous). */
export function advance(pos: OutboxPosition, env: Envelope): OutboxPosition {
  if (!env.sequence) return pos;
  const epoch = env.sequenceEpoch ?? '';
  if (epoch === pos.epoch) return { ...pos, seq: Math.max(pos.seq, env.sequence) };
  if (pos.prev !== undefined && epoch === pos.prev.epoch) return pos;
  return { epoch, seq: env.sequence, ...(pos.epoch ? { prev: { epoch: pos.epoch, seq: pos.seq } } : {}) };
}

/**
 * Drops a payload whose outbox position the edge's record has passed: the forwarder sends again what the hub
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
