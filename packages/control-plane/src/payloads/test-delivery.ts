import { Direction, appendEnvelopeFields, encodeEnvelope, type Envelope } from '@hubspoke/sdk';
import type { Delivery } from './pipeline.js';

/** A payload of edge eu/e1 as it sits in HS_PAYLOADS (unit tests of the pipeline steps). */
export function payloadBytes(f: Partial<Envelope> & { id: string }, seq?: { sequence: number; epoch: string }) {
  const data = encodeEnvelope({
    direction: Direction.Up,
    origin: 'plugin:s@e1',
    namespace: 'eu',
    edgeId: 'e1',
    timeUnixMs: 1_700_000_000_000,
    contentType: 'application/json',
    payload: Buffer.from('{}'),
    ...f,
  });
  return seq ? appendEnvelopeFields(data, { sequence: seq.sequence, sequenceEpoch: seq.epoch }) : data;
}

/** A delivery of `data` at stream sequence `seq`; `offers` records every beforeOffer call. */
export function delivery(data: Uint8Array, seq = 1, offers: number[] = []): Delivery {
  return {
    ns: 'eu',
    edge: 'e1',
    seq,
    data,
    receivedNanos: 1_700_000_000_000 * 1e6,
    nextOffer: 1,
    beforeOffer: async (n) => {
      offers.push(n);
    },
  };
}
