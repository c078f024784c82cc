import { decodeEnvelope, type Envelope, type Limits } from '@hubspoke/sdk';
import { sourcedPosition } from '@hubspoke/runtime';
import type { Middleware, Result } from './pipeline.js';

/**
 * Decodes the envelope and checks it against the subject it came on (an edge's identity is its subject, which
 * NATS permissions confine to that edge). A payload sourced from an outbox must come from that edge's leaf: its
 * source header (set by the hub) names the outbox stream and the leaf's domain, and gives the outbox position
 * (the stream's id and the sequence there), whatever the envelope says. What does not decode, names another
 * edge or was sourced from elsewhere is rejected: dead-lettered by the step outside, and the edge's stream moves
 * on past it (never a stall of the next payload).
 */
export function decodeStep(limits: Readonly<Limits>, onRejected: () => void): Middleware {
  // Not async: it hands on next's promise (an async layer per step was a promise per payload each).
  const reject = (reason: string): Promise<Result> => {
    onRejected();
    return Promise.resolve({ kind: 'reject', reason, plugin: '', attempts: 0 });
  };
  return (next) => (d) => {
    try {
      d.env = decodeEnvelope(d.data, { kind: 'payload', limits });
    } catch (err) {
      return reject((err as Error).message);
    }
    const why = checkOrigin(d.env, d.ns, d.edge, d.source);
    if (why !== undefined) return reject(why);
    return next(d);
  };
}

const CONTRADICTS = 'HS_ERR_ENVELOPE_MALFORMED: envelope contradicts its subject';
const NOT_FROM_OUTBOX_START = 'HS_ERR_ENVELOPE_MALFORMED: a payload stored for';
const NOT_FROM_OUTBOX_END = 'is not from its outbox';

/**
 * Whether a dead letter's reason says it is not the payload of the edge whose subject it is on ({@link checkOrigin}
 * rejected it): redriving it would hand it to receivers as that edge's.
 */
export function isForeign(reason: string): boolean {
  return (
    reason.startsWith(CONTRADICTS) || (reason.startsWith(NOT_FROM_OUTBOX_START) && reason.includes(NOT_FROM_OUTBOX_END))
  );
}

/**
 * Why a payload stored on the subject of `ns`/`edge` is not that edge's, or undefined when it is: its envelope
 * names another edge, or it was sourced (`source`: its `Nats-Stream-Source` header) from another edge's outbox. For
 * a sourced payload of the edge, sets its outbox position (the stream's id and sequence there) in `env`. Dispatch
 * dead-letters what fails; replay skips it (a compromised leaf can store payloads on another edge's subject).
 */
export function checkOrigin(env: Envelope, ns: string, edge: string, source: string | undefined): string | undefined {
  if (env.namespace !== ns || env.edgeId !== edge) {
    const why = `envelope names ${env.namespace}/${env.edgeId}, subject ${ns}/${edge}`;
    return `${CONTRADICTS}: ${why}`;
  }
  if (source === undefined) return undefined;
  const pos = sourcedPosition(edge, source);
  if (typeof pos === 'string') return `${NOT_FROM_OUTBOX_START} ${ns}/${edge} ${NOT_FROM_OUTBOX_END}: ${pos}`;
  env.sequence = pos.seq;
  env.sequenceEpoch = pos.epoch;
  return undefined;
}
