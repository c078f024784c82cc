import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Direction, appendEnvelopeFields, decodeEnvelope, encodeEnvelope } from '@hubspoke/sdk';
import { descriptors } from '@hubspoke/sdk/internal';
import protobuf from 'protobufjs';
import { replayCopyId, withNewId } from './replay.js';

const original = appendEnvelopeFields(
  encodeEnvelope({
    id: 'orig-1',
    direction: Direction.Up,
    origin: 'plugin:s@e1',
    namespace: 'eu',
    edgeId: 'e1',
    correlationId: 'c',
    timeUnixMs: 1_700_000_000_000,
    metadata: { k: 'v' },
    contentType: 'application/json',
    payload: Buffer.from('{}'),
  }),
  { sequence: 7, sequenceEpoch: 'ep' },
);

test('a replayed copy: a new id appended (the last value wins), replay fields stamped, the rest as stored', () => {
  const id = replayCopyId('orig-1', 'run'.repeat(50)); // a length that takes a two-byte varint
  const copy = appendEnvelopeFields(withNewId(original, id), { replayOf: 'orig-1', replayAtUnixMs: 1_800_000_000_000 });
  const ours = decodeEnvelope(copy, { kind: 'payload' });
  assert.equal(ours.id, id);
  assert.equal(ours.replayOf, 'orig-1');
  assert.equal(ours.replayAtUnixMs, 1_800_000_000_000);
  const before = decodeEnvelope(original, { kind: 'payload' });
  assert.deepEqual(
    { ...ours, id: before.id, replayOf: undefined, replayAtUnixMs: undefined },
    { ...before, replayOf: undefined, replayAtUnixMs: undefined },
  );

  const Envelope = protobuf.Root.fromJSON(descriptors as unknown as protobuf.INamespace).lookupType(
    'hubspoke.v1.Envelope',
  );
  const theirs = Envelope.toObject(Envelope.decode(copy), { longs: Number }) as Record<string, unknown>;
  assert.equal(theirs['id'], id, 'protobufjs reads the appended id too');
  assert.equal(theirs['replayOf'], 'orig-1');
  assert.equal(theirs['replayAtUnixMs'], 1_800_000_000_000);
  assert.equal(theirs['sequence'], 7);
});

test('a redriven copy: sequence 0 appended reads as no sequence', () => {
  const redriven = new Uint8Array([...original, 0x70, 0x00]);
  assert.equal(decodeEnvelope(redriven, { kind: 'payload' }).sequence, 0);
});
