import { decodeEnvelope, type Limits } from '@hubspoke/sdk';
import { sourcedPosition } from '@hubspoke/runtime';
import type { Middleware } from './pipeline.js';

/**
 * Decodes the envelope and checks it against the subject it came on (an edge's identity is its subject, which
 * NATS permissions confine to that edge). A payload sourced from an outbox must come from that edge's leaf: its
 * source header (set by the hub) names the outbox stream and the leaf's domain, and gives the outbox position
 * (the stream's id and the sequence there), whatever the envelope says. What does not decode, names another
 * edge or was sourced from elsewhere is rejected: dead-lettered by the step outside, and the edge's stream moves
 * on past it (never a stall of the next payload).
 */
export function decodeStep(limits: Readonly<Limits>, onRejected: () => void): Middleware {
  return (next) => async (d) => {
    try {
      d.env = decodeEnvelope(d.data, { kind: 'payload', limits });
    } catch (err) {
      onRejected();
      return { kind: 'reject', reason: (err as Error).message, plugin: '', attempts: 0 };
    }
    if (d.env.namespace !== d.ns || d.env.edgeId !== d.edge) {
      onRejected();
      const why = `envelope names ${d.env.namespace}/${d.env.edgeId}, subject ${d.ns}/${d.edge}`;
      return {
        kind: 'reject',
        reason: `HS_ERR_ENVELOPE_MALFORMED: envelope contradicts its subject: ${why}`,
        plugin: '',
        attempts: 0,
      };
    }
    if (d.source !== undefined) {
      const pos = sourcedPosition(d.edge, d.source);
      if (typeof pos === 'string') {
        onRejected();
        return {
          kind: 'reject',
          reason: `HS_ERR_ENVELOPE_MALFORMED: a payload stored for ${d.ns}/${d.edge} is not from its outbox: ${pos}`,
          plugin: '',
          attempts: 0,
        };
      }
      d.env.sequence = pos.seq;
      d.env.sequenceEpoch = pos.epoch;
    }
    return next(d);
  };
}
