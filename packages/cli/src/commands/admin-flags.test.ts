import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveContext, selectContext } from '../ops/contexts.js';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PayloadInfo, ReplayProgress } from '@hubspoke/control-plane';
import {
  ADMIN_FLAG,
  FILTER_FLAGS,
  adminConnectionOf,
  filterOf,
  parseFlags,
  parseTime,
  table,
  toJson,
  usageIfRefused,
} from './admin-flags.js';
import { payloadDetail } from './payloads.js';
import { progressLine, replaySummary } from './replay.js';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const DEFS = {
  ...ADMIN_FLAG,
  ...FILTER_FLAGS,
  'dry-run': { kind: 'boolean', help: '' },
  seq: { kind: 'list', help: '' },
} as const;

function codeAndMessage(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    return { code: (err as { code: string }).code, message: (err as Error).message };
  }
  throw new Error('did not throw');
}

describe('ops command flags', () => {
  test('times: ISO 8601 and relative', () => {
    assert.equal(parseTime('-15m', NOW), NOW - 15 * 60_000);
    assert.equal(parseTime('-2h', NOW), NOW - 7_200_000);
    assert.equal(parseTime('-7d', NOW), NOW - 7 * 86_400_000);
    assert.equal(parseTime('-30s', NOW), NOW - 30_000);
    assert.equal(parseTime('-1.5h', NOW), NOW - 5_400_000);
    assert.equal(parseTime('now', NOW), NOW);
    assert.equal(parseTime('2026-11-27T11:00:00Z', NOW), NOW - 3_600_000);
    assert.equal(parseTime('2026-11-27T13:00:00+02:00', NOW), NOW - 3_600_000);
    assert.equal(parseTime('2026-11-27', NOW), Date.parse('2026-11-27'));
    for (const bad of ['yesterday', '15m', '-15', '-m', '1700000000000', '2026-13-45', '', '-15 m']) {
      assert.equal(parseTime(bad, NOW), undefined, bad);
    }
  });

  test('a string flag takes the next argument even when it starts with a dash; --flag=value too', () => {
    const f = parseFlags('replay', ['--since', '-15m', '--until=-1m', '--dry-run', '--seq', '1,2', '--seq', '3'], DEFS);
    assert.equal(f.strings.get('since'), '-15m');
    assert.equal(f.strings.get('until'), '-1m');
    assert.ok(f.booleans.has('dry-run'));
    assert.deepEqual(f.lists.get('seq'), ['1', '2', '3']);
    assert.deepEqual(filterOf(f, NOW), { sinceUnixMs: NOW - 900_000, untilUnixMs: NOW - 60_000 });
  });

  test('every bad flag is named, with exit-2 code HS_ERR_CONFIG_INVALID', () => {
    const e = codeAndMessage(() => parseFlags('replay', ['--nope', '--dry-run=1', '--since'], DEFS));
    assert.equal(e.code, 'HS_ERR_CONFIG_INVALID');
    assert.match(e.message, /--nope: unknown flag \(hubspoke replay --help lists the flags\)/);
    assert.match(e.message, /--dry-run: takes no value/);
    assert.match(e.message, /--since: needs a value/);
    const missing = codeAndMessage(() => parseFlags('replay', ['--edge'], DEFS));
    assert.match(missing.message, /--edge: needs a value/);
    const f = parseFlags(
      'replay',
      ['--since', 'later', '--until', '2020-01-01', '--edge', 'a b', '--namespace', '_all'],
      DEFS,
    );
    const bad = codeAndMessage(() => filterOf(f, NOW));
    assert.equal(bad.code, 'HS_ERR_CONFIG_INVALID');
    assert.match(bad.message, /--edge: "a b" is not a valid edge id/);
    assert.match(bad.message, /--namespace: "_all" is not a valid namespace/);
    assert.match(bad.message, /--since: "later" is not ISO 8601 or a relative time like -15m, -2h, -7d/);
    const order = codeAndMessage(() => filterOf(parseFlags('replay', ['--since', '-1m', '--until', '-2m'], DEFS), NOW));
    assert.match(order.message, /--until: must be after --since/);
  });

  test('--admin, else HUBSPOKE_ADMIN, else a context, else 127.0.0.1:7411; a token is required', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubspoke-conn-'));
    try {
      const none = parseFlags('payloads', [], DEFS);
      const env = { HUBSPOKE_CONFIG_DIR: dir, HUBSPOKE_ADMIN_TOKEN: 't'.repeat(20) };
      const addr = (f: ReturnType<typeof parseFlags>, e: Record<string, string>) => adminConnectionOf(f, e).address;
      assert.equal(addr(parseFlags('payloads', ['--admin', 'h:1'], DEFS), { ...env, HUBSPOKE_ADMIN: 'e:2' }), 'h:1');
      assert.equal(addr(none, { ...env, HUBSPOKE_ADMIN: 'e:2' }), 'e:2');
      assert.equal(addr(none, env), '127.0.0.1:7411');
      assert.match(
        codeAndMessage(() => adminConnectionOf(none, { ...env, HUBSPOKE_ADMIN: 'e' })).message,
        /HUBSPOKE_ADMIN: "e" is not host:port/,
      );
      const noToken = codeAndMessage(() => adminConnectionOf(none, { HUBSPOKE_CONFIG_DIR: dir }));
      assert.equal(noToken.code, 'HS_ERR_UNAUTHENTICATED');
      assert.match(noToken.message, /no admin token for 127\.0\.0\.1:7411/);
      writeFileSync(join(dir, 'tok'), '# a comment\nfile-token-0123456789\n');
      saveContext({ HUBSPOKE_CONFIG_DIR: dir }, 'lab', { admin: 'lab:7411', tokenFile: join(dir, 'tok') });
      selectContext({ HUBSPOKE_CONFIG_DIR: dir }, 'lab');
      const c = adminConnectionOf(none, { HUBSPOKE_CONFIG_DIR: dir });
      assert.deepEqual([c.address, c.token, c.from], ['lab:7411', 'file-token-0123456789', 'context lab']);
      const flagged = adminConnectionOf(parseFlags('payloads', ['--admin', 'x:1'], DEFS), {
        HUBSPOKE_CONFIG_DIR: dir,
        HUBSPOKE_ADMIN_TOKEN: 'from-env-0123456789',
      });
      assert.deepEqual([flagged.address, flagged.token], ['x:1', 'from-env-0123456789'], 'flags and env win');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a request the server refuses becomes a usage error naming the flag; other failures stay', () => {
    const refused = Object.assign(new Error('HS_ERR_INVALID_ARGUMENT: plugin "x" is not loaded'), {
      code: 'HS_ERR_INVALID_ARGUMENT',
    });
    const u = usageIfRefused(refused) as Error & { code: string };
    assert.equal(u.code, 'HS_ERR_CONFIG_INVALID');
    assert.equal(u.message, 'HS_ERR_CONFIG_INVALID: --plugin: plugin "x" is not loaded');
    const down = Object.assign(new Error('x'), { code: 'HS_ERR_NOT_CONNECTED' });
    assert.equal(usageIfRefused(down), down);
  });

  test('tables pad every column but the last; JSON shows bytes as base64', () => {
    assert.equal(
      table(
        ['A', 'LONGER'],
        [
          ['xyz', 'v'],
          ['1', ''],
        ],
      ),
      'A    LONGER\nxyz  v\n1\n',
    );
    assert.equal(toJson({ b: new Uint8Array([1, 2]), c: Buffer.from('hi') }), '{\n  "b": "AQI=",\n  "c": "aGk="\n}');
  });
});

describe('replay output', () => {
  const p: ReplayProgress = {
    matched: 40,
    offered: 40,
    handled: 38,
    failed: 2,
    done: false,
    error: '',
    scanned: 50,
    total: 100,
    failures: [],
    replayId: 'r',
    dryRun: false,
  };
  test('the summary line, and the dry run one', () => {
    assert.equal(replaySummary(p), 'replay: matched 40, offered 40, handled 38, failed 2');
    assert.equal(replaySummary({ ...p, dryRun: true }), 'replay: would offer 40');
  });
  test('a progress bar for a terminal, plain counts otherwise', () => {
    assert.equal(progressLine(p, true, 10), '[#####-----]  50%  scanned 50/100, matched 40, handled 38, failed 2');
    assert.equal(
      progressLine({ ...p, total: 0, done: true }, true, 4),
      '[####] 100%  scanned 50/0, matched 40, handled 38, failed 2',
    );
    assert.equal(progressLine({ ...p, dryRun: true }, false), 'replay: scanned 50/100, matched 40');
  });
});

describe('payload detail', () => {
  const base = {
    streamSeq: 7,
    id: 'id-1',
    namespace: 'eu',
    edgeId: 'e1',
    correlationId: '',
    causationId: '',
    origin: 'plugin:s@e1',
    edgeTimeUnixMs: NOW,
    receivedUnixMs: NOW,
    metadata: { kind: 'usage' },
    contentType: 'application/json',
    size: 2,
    sequence: 3,
    sequenceEpoch: 'ep',
    redriven: true,
    error: '',
    traceparent: '',
    topic: '',
  };
  test('a text body is printed as text, a binary one in base64; empty fields are left out', () => {
    const text = payloadDetail({ ...base, body: Buffer.from('{}') } as PayloadInfo);
    assert.match(text, /^stream seq:\s+7\nid:\s+id-1\nedge:\s+eu\/e1\n/);
    assert.match(
      text,
      /outbox sequence:\s+3 \(epoch ep\)\nnote:\s+redriven\nmetadata kind:\s+usage\nbody \(text\):\n\{\}\n$/,
    );
    assert.doesNotMatch(text, /correlation id/);
    const bin = payloadDetail({ ...base, body: new Uint8Array([0, 255, 1]) } as PayloadInfo);
    assert.match(bin, /body \(base64\):\nAP8B\n$/);
  });
});
