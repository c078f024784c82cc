// The admin API locked down: a token on every call, every request checked before any work, bounded sizes, one
// status table. Random bytes and random field values go to every method (fast-check): no INTERNAL, no hang,
// nothing changed without the token.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  credentials,
  makeGenericClientConstructor,
  Metadata,
  status,
  type Client,
  type ServiceError,
} from '@grpc/grpc-js';
import { AdminClient, adminTokenMatches } from '@hubspoke/control-plane';
import fc from 'fast-check';
import { Receiver } from '../fixtures/receiver.js';
import { waitFor } from '../helpers/index.js';
import { startAdminSite, type AdminSite } from './site.js';

const METHODS = [
  'ListEdges',
  'ListPayloads',
  'GetPayload',
  'Replay',
  'ListDeadLetters',
  'Redrive',
  'Drop',
  'PutConfig',
  'GetConfig',
  'DeleteConfig',
  'ListConfig',
  'ForgetEdge',
] as const;
type Method = (typeof METHODS)[number];

/** A client of the Admin service that sends raw bytes and returns the status (or OK) of each call. */
function rawClient(address: string): Client & Record<string, (...a: unknown[]) => unknown> {
  const id = (b: Buffer): Buffer => b;
  const def = Object.fromEntries(
    METHODS.map((m) => [
      m,
      {
        path: `/hubspoke.v1.Admin/${m}`,
        requestStream: false,
        responseStream: m === 'Replay',
        requestSerialize: id,
        requestDeserialize: id,
        responseSerialize: id,
        responseDeserialize: id,
      },
    ]),
  );
  const Ctor = makeGenericClientConstructor(def, 'Admin');
  return new Ctor(address, credentials.createInsecure()) as Client & Record<string, (...a: unknown[]) => unknown>;
}

interface Outcome {
  code: number;
  details: string;
  ms: number;
}

function callRaw(client: ReturnType<typeof rawClient>, m: Method, bytes: Uint8Array, token?: string): Promise<Outcome> {
  const md = new Metadata();
  if (token !== undefined) md.set('authorization', `Bearer ${token}`);
  const t0 = Date.now();
  const opts = { deadline: Date.now() + 20_000 };
  return new Promise((resolve) => {
    const done = (code: number, details: string): void => resolve({ code, details, ms: Date.now() - t0 });
    if (m === 'Replay') {
      const s = client[m]!(Buffer.from(bytes), md, opts) as NodeJS.EventEmitter;
      s.on('data', () => undefined);
      s.on('error', (e: ServiceError) => done(e.code, e.details));
      s.on('end', () => done(status.OK, ''));
      return;
    }
    client[m]!(Buffer.from(bytes), md, opts, (e: ServiceError | null) =>
      e ? done(e.code, e.details) : done(status.OK, ''),
    );
  });
}

/** A varint-encoded field. */
function varintField(field: number, value: bigint): Uint8Array {
  const out = [field << 3];
  let v = value;
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Uint8Array.from(out);
}

async function deadLetterCount(site: AdminSite): Promise<number> {
  return (await site.admin.listDeadLetters({ limit: 10_000 })).deadLetters.length;
}

async function siteWithDeadLetters(): Promise<AdminSite & { configRevision: number }> {
  const r = new Receiver();
  r.decide = () => false;
  const site = await startAdminSite([r]);
  const e = await site.edge('lock-a', 'eu');
  for (let n = 0; n < 3; n++) await e.send({ n });
  await waitFor(() => site.cp.payloads.counters.deadLettered === 3, { timeoutMs: 10_000 });
  const configRevision = (await site.admin.putConfig({ key: 'lock.k', valueJson: '{"v":1}' })).revision;
  return Object.assign(site, { configRevision });
}

/** Requests by method, with fields of any type and size (strings up to 300 k chars, numbers of every kind). */
const anyValue = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ minLength: 1, maxLength: 3 }).map((s) => s.repeat(100_000)),
  fc.constantFrom(0, -1, 1, 9e15, 2 ** 53, 2 ** 64 - 1, Number.MAX_SAFE_INTEGER, 253402300800000, 0.5, NaN),
  fc.integer(),
  fc.boolean(),
  fc.constant(undefined),
);
const filterArb = fc.record(
  {
    edgeId: anyValue,
    namespace: anyValue,
    sinceUnixMs: anyValue,
    untilUnixMs: anyValue,
    correlationId: anyValue,
    plugin: anyValue,
  },
  { requiredKeys: [] },
);
const requestArb = fc.record(
  {
    filter: filterArb,
    limit: anyValue,
    afterSeq: anyValue,
    includeBody: fc.boolean(),
    id: anyValue,
    streamSeq: anyValue,
    seqs: fc.array(anyValue, { maxLength: 5 }),
    all: fc.boolean(),
    dryRun: fc.constant(true),
    plugin: anyValue,
    key: anyValue,
    namespace: anyValue,
    valueJson: anyValue,
    prefix: anyValue,
    edgeId: anyValue,
  },
  { requiredKeys: [] },
);

function typedCall(a: AdminClient, m: Method, req: Record<string, unknown>): Promise<unknown> {
  const call = a as unknown as Record<string, (r: unknown) => Promise<unknown>>;
  if (m === 'Replay') {
    return (async () => {
      for await (const _ of a.replay({ ...req, dryRun: true } as never)) void _;
    })();
  }
  const name = m.charAt(0).toLowerCase() + m.slice(1);
  return m === 'ForgetEdge'
    ? a.forgetEdge(req['edgeId'] as string)
    : (call[name] as (r: unknown) => Promise<unknown>).call(a, req);
}

describe('admin API lock-down', () => {
  test('without the token every method answers UNAUTHENTICATED and changes nothing', async () => {
    await using site = await siteWithDeadLetters();
    const raw = rawClient(site.address);
    try {
      const before = await deadLetterCount(site);
      const tries: [Method, Uint8Array][] = [
        ['Drop', Uint8Array.of(0x10, 0x01, 0x22, 0x03, 0x61, 0x6c, 0x6c)], // all = true, confirm = "all"
        ['Redrive', Uint8Array.of(0x10, 0x01, 0x22, 0x03, 0x61, 0x6c, 0x6c)],
        ['DeleteConfig', Uint8Array.from([0x0a, 6, ...Buffer.from('lock.k')])],
        ['PutConfig', Uint8Array.from([0x0a, 6, ...Buffer.from('lock.k'), 0x1a, 1, 0x32])],
      ];
      for (const m of METHODS) tries.push([m, new Uint8Array()]);
      for (const [m, bytes] of tries) {
        for (const token of [undefined, 'x'.repeat(43), `${site.token}x`, site.token.slice(1)]) {
          const r = await callRaw(raw, m, bytes, token);
          assert.equal(r.code, status.UNAUTHENTICATED, `${m} with token ${String(token).slice(0, 8)}: ${r.details}`);
          assert.match(r.details, /^HS_ERR_UNAUTHENTICATED: /);
        }
      }
      const noToken = new AdminClient(site.address);
      await assert.rejects(noToken.listEdges(), (e: Error & { code?: string }) => e.code === 'HS_ERR_UNAUTHENTICATED');
      noToken.close();
      assert.equal(await deadLetterCount(site), before, 'no dead letter dropped or redriven');
      const cfg = await site.admin.getConfig({ key: 'lock.k' });
      assert.equal(cfg.object?.revision, site.configRevision, 'config untouched');
      assert.ok(adminTokenMatches(`Bearer ${site.token}`, site.token));
      assert.ok(adminTokenMatches(site.token, site.token));
      assert.ok(!adminTokenMatches(`Bearer ${site.token}x`, site.token));
      assert.ok(!adminTokenMatches(undefined, site.token));
    } finally {
      raw.close();
    }
  });

  test('random bytes to every method: INVALID_ARGUMENT or an answer, never INTERNAL, never a hang; all alone selects nothing', async () => {
    await using site = await siteWithDeadLetters();
    const raw = rawClient(site.address);
    try {
      const before = await deadLetterCount(site);
      // What emptied the dead-letter queue before: a stray `all = true` with nothing else.
      for (const m of ['Redrive', 'Drop'] as const) {
        const r = await callRaw(raw, m, Uint8Array.of(0x10, 0x01), site.token);
        assert.equal(r.code, status.INVALID_ARGUMENT, r.details);
        assert.match(r.details, /confirm: must be "all"/);
      }
      assert.equal(await deadLetterCount(site), before);
      const codes = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...METHODS),
          fc.uint8Array({ minLength: 1, maxLength: 64 }),
          async (m, bytes) => {
            const anon = await callRaw(raw, m, bytes);
            assert.equal(anon.code, status.UNAUTHENTICATED, `${m} without a token: ${anon.details}`);
            const r = await callRaw(raw, m, bytes, site.token);
            codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
            assert.ok(
              r.code !== status.INTERNAL && r.code !== status.UNKNOWN,
              `${m} ${Buffer.from(bytes).toString('hex')}: ${r.details}`,
            );
            assert.ok(r.ms < 10_000, `${m} took ${r.ms} ms`);
            if (r.code !== status.OK) assert.match(r.details, /^HS_ERR_[A-Z_]+: /);
          },
        ),
        { numRuns: 300 },
      );
      assert.ok((codes.get(status.INVALID_ARGUMENT) ?? 0) > 0, 'some were refused as bad');
    } finally {
      raw.close();
    }
  });

  test('random field values to every method: each bad field named, never INTERNAL, never a hang', async () => {
    await using site = await siteWithDeadLetters();
    const before = await deadLetterCount(site);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...METHODS), requestArb, async (m, req) => {
        const t0 = Date.now();
        try {
          await typedCall(site.admin, m, req);
        } catch (err) {
          const e = err as Error & { code?: string; grpcCode?: number };
          // A value of the wrong type the client could not even encode never reached the server.
          if (e.grpcCode === undefined || /serialization failure/.test(e.message)) return;
          assert.ok(
            e.grpcCode !== status.INTERNAL && e.grpcCode !== status.UNKNOWN,
            `${m} ${JSON.stringify(req).slice(0, 300)}: ${e.message}`,
          );
          assert.match(e.code ?? '', /^HS_ERR_/);
        }
        assert.ok(Date.now() - t0 < 10_000, `${m} took ${Date.now() - t0} ms`);
      }),
      { numRuns: 250 },
    );
    assert.ok((await deadLetterCount(site)) >= 0);
    assert.ok(before > 0);
  });

  test("the issue's inputs: huge ids, far times, stream_seq 2^64-1 answer INVALID_ARGUMENT at once", async () => {
    await using site = await siteWithDeadLetters();
    const raw = rawClient(site.address);
    try {
      const bad = async (p: Promise<unknown>, re: RegExp): Promise<void> => {
        const t0 = Date.now();
        await assert.rejects(p, (e: Error & { grpcCode?: number }) => {
          assert.equal(e.grpcCode, status.INVALID_ARGUMENT, e.message);
          assert.match(e.message, re);
          assert.ok(e.message.length < 2000, 'the message does not echo the input');
          return true;
        });
        assert.ok(Date.now() - t0 < 5000, `answered in ${Date.now() - t0} ms`);
      };
      await bad(site.admin.getPayload({ id: 'x'.repeat(1024 * 1024) }), /GetPayload: id: 1048576 chars, above 256/);
      // The same client answers the next call at once.
      const t0 = Date.now();
      await site.admin.listEdges();
      assert.ok(Date.now() - t0 < 2000);
      await bad(site.admin.getPayload({ id: 'y'.repeat(120_000) }), /id: 120000 chars/);
      await bad(
        site.admin.listPayloads({ filter: { sinceUnixMs: 9e15 } }),
        /filter\.since_unix_ms: 9000000000000000 is not a time/,
      );
      await bad(site.admin.listDeadLetters({ filter: { untilUnixMs: 9e15 } }), /filter\.until_unix_ms/);
      const year10000 = Date.UTC(10000, 0, 1);
      await bad(
        (async () => {
          for await (const _ of site.admin.replay({ filter: { sinceUnixMs: year10000 }, dryRun: true })) void _;
        })(),
        /Replay: filter\.since_unix_ms: \d+ is not a time/,
      );
      const r = await callRaw(raw, 'GetPayload', varintField(2, 2n ** 64n - 1n), site.token);
      assert.equal(r.code, status.INVALID_ARGUMENT, r.details);
      assert.match(r.details, /stream_seq: .* is not a whole number|stream_seq: .* above/);
      await bad(site.admin.redrive({ seqs: [0] }), /seqs: 0 is not a dead-letter seq/);
      await bad(site.admin.putConfig({ key: 'a.b', valueJson: '' }), /value_json: required/);
    } finally {
      raw.close();
    }
  });
});
