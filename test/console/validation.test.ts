import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Receiver } from '../fixtures/receiver.js';
import { waitFor } from '../helpers/index.js';
import { loginHttp, startConsoleSite, type ConsoleSite } from './site.js';

interface ApiError {
  error: { code: string; message: string };
}

// The console's routes call the admin operations, which hold every request to admin.proto's contract: a bad
// field answers 400 naming it, before anything is touched (as INVALID_ARGUMENT does over gRPC).
describe('console: bad input', () => {
  let site: ConsoleSite;
  let call: (method: string, path: string, body?: unknown) => Promise<Response>;
  let deadSeq: number;
  const receiver = new Receiver();
  receiver.decide = () => {
    throw new Error('never taken');
  };

  before(async () => {
    site = await startConsoleSite([receiver]);
    const s = await loginHttp(site.url);
    call = (method, path, body) =>
      fetch(`${site.url}${path}`, {
        method,
        headers: { cookie: s.cookie, 'x-hs-csrf': s.csrf, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const sender = await site.edge('edge-v-1', 'val');
    await sender.send({ n: 1 });
    await waitFor(() => site.cp.payloads.counters.deadLettered >= 1, { timeoutMs: 10_000, message: 'dead-lettered' });
    deadSeq = await deadLetterSeqs().then((seqs) => seqs[0] ?? 0);
    assert.ok(deadSeq > 0);
  });
  after(async () => {
    await site?.[Symbol.asyncDispose]();
  });

  async function deadLetterSeqs(): Promise<number[]> {
    const res = await call('GET', '/api/dead-letters');
    assert.equal(res.status, 200);
    return ((await res.json()) as { deadLetters: { seq: number }[] }).deadLetters.map((d) => d.seq);
  }

  async function refused(res: Response, field: RegExp): Promise<void> {
    const body = (await res.json()) as ApiError;
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(body.error.code, 'HS_ERR_INVALID_ARGUMENT');
    assert.match(body.error.message, field);
  }

  test('a drop or redrive naming a seq that cannot be one is refused whole: the good seq beside it stays', async () => {
    await refused(await call('POST', '/api/dead-letters/drop', { seqs: [deadSeq, 0] }), /Drop: seqs: 0 is not/);
    await refused(await call('POST', '/api/dead-letters/redrive', { seqs: [deadSeq, 1.5] }), /Redrive: seqs: 1.5/);
    const many = Array.from({ length: 10_001 }, (_, i) => i + 1);
    await refused(await call('POST', '/api/dead-letters/drop', { seqs: many }), /seqs: 10001 seqs, above 10000/);
    assert.deepEqual(await deadLetterSeqs(), [deadSeq], 'the dead letter is still there, neither dropped nor redriven');
  });

  test('a config change with a namespace that is no name, or a key too long, stores nothing', async () => {
    await refused(
      await call('PUT', '/api/config', { key: 'val.k', namespace: 'not a name', value: 1 }),
      /PutConfig: namespace: "not a name" is not a name/,
    );
    await refused(await call('PUT', '/api/config', { key: 'k'.repeat(300), value: 1 }), /key: 300 chars, above 256/);
    const list = await call('GET', '/api/config?prefix=val.');
    assert.equal(list.status, 200);
    assert.deepEqual(((await list.json()) as { entries: unknown[] }).entries, []);
  });

  test('searches and replays out of bounds name the field', async () => {
    await refused(await call('GET', '/api/payloads?limit=20000'), /ListPayloads: limit: 20000 is above 10000/);
    await refused(
      await call('GET', '/api/dead-letters?sinceUnixMs=9000000000000000'),
      /ListDeadLetters: filter\.since_unix_ms: 9000000000000000 is not a time/,
    );
    await refused(await call('GET', '/api/payloads?edgeId=bad.edge'), /filter\.edge_id: "bad\.edge" is not a name/);
    await refused(
      await call('POST', '/api/replay', { filter: { edgeId: 'edge-v-1' }, plugin: 'no such plugin', dryRun: false }),
      /Replay: plugin: "no such plugin" is not a name/,
    );
    await refused(await call('GET', `/api/payloads/${'x'.repeat(300)}`), /GetPayload: id: 300 chars, above 256/);
  });
});
