import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JetStreamPublisher } from '@hubspoke/runtime';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { EdgeRecords, RecordConflict } from '../../packages/control-plane/src/payloads/edge-record.js';
import { DISPATCH_BUCKET } from '../../packages/control-plane/src/payloads/streams.js';
import { startNatsServer } from '../helpers/index.js';

// A record write whose PubAck is lost (the hub restarting) is retried with the revision it was read at, and finds
// the record moved on by itself. Taken for a conflict, the lane stopped with nobody left to take the edge (a
// fault test stalled this way under load). The write must tell its own landed write from another replica's.
test('dispatch record: a retried write that already landed is not a conflict; another content at that revision is', async () => {
  await using hub = await startNatsServer({ domain: 'hub' });
  const nc = await connect({ servers: hub.url });
  try {
    const kv = await new Kvm(nc).create(DISPATCH_BUCKET, { history: 1 });
    const records = new EdgeRecords(kv, new JetStreamPublisher(nc, { timeoutMs: 5000 }));
    const r = { streamSeq: 10, epoch: 'e1', seq: 10 };
    const rev1 = await records.write('eu', 'x', r, 0);
    assert.equal(await records.write('eu', 'x', { ...r }, 0), rev1, 'the same write again: its revision, no conflict');
    await assert.rejects(
      records.write('eu', 'x', { ...r, streamSeq: 11, seq: 11 }, 0),
      (err: Error) => err instanceof RecordConflict && /eu\/x moved on/.test(err.message),
    );
    const rev2 = await records.write('eu', 'x', { ...r, streamSeq: 11, seq: 11 }, rev1);
    assert.ok(rev2 > rev1);
    await assert.rejects(records.write('eu', 'x', r, rev1), RecordConflict, 'an older content is a conflict');
  } finally {
    await nc.close();
  }
});
