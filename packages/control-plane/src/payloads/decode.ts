import { decodeEnvelope, type Limits } from '@hubspoke/sdk';
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
    if (d.env.namespace !== d.ns || d.env.edgeId !== d.edge) {
      const why = `envelope names ${d.env.namespace}/${d.env.edgeId}, subject ${d.ns}/${d.edge}`;
      return reject(`HS_ERR_ENVELOPE_MALFORMED: envelope contradicts its subject: ${why}`);
    }
    if (d.source !== undefined) {
      const pos = sourcedPosition(d.edge, d.source);
      if (typeof pos === 'string') {
        return reject(
          `HS_ERR_ENVELOPE_MALFORMED: a payload stored for ${d.ns}/${d.edge} is not from its outbox: ${pos}`,
        );
      }
      d.env.sequence = pos.seq;
      d.env.sequenceEpoch = pos.epoch;
    }
    return next(d);
  };
}
