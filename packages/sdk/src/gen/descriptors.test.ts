import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import protobuf from 'protobufjs';
import { Direction } from '../direction.js';
import { EnvelopeEncoder } from '../envelope.js';
import { descriptors } from './descriptors.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

test('generated descriptors match proto/ (npm run gen:proto leaves nothing to change)', () => {
  const r = spawnSync(process.execPath, ['scripts/gen-proto.mjs', '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('the hand-written encoder and the generated descriptor agree', () => {
  const Envelope = protobuf.Root.fromJSON(descriptors as unknown as protobuf.INamespace).lookupType('hubspoke.v1.Envelope');
  const bytes = new EnvelopeEncoder({ origin: 'plugin:a@e1', namespace: 'eu', edgeId: 'e1' }).encode({
    id: 'id-1', topic: 't.x', direction: Direction.Up, timeUnixMs: 1_700_000_000_123, contentType: 'application/json',
    payload: Buffer.from('{}'), metadata: { k: 'v' }, correlationId: 'c',
  });
  const o = Envelope.toObject(Envelope.decode(bytes), { longs: Number });
  assert.deepEqual(o, {
    id: 'id-1', topic: 't.x', direction: 1, origin: 'plugin:a@e1', namespace: 'eu', edgeId: 'e1', correlationId: 'c',
    timeUnixMs: 1_700_000_000_123, metadata: { k: 'v' }, contentType: 'application/json', payload: Buffer.from('{}'),
  });
});
