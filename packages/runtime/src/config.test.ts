import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { commonOptionsShape, nameSchema, parseConfig, serversSchema } from './config.js';

// An edge-node-like schema built from the shared pieces, as the runtimes build theirs.
const schema = z.object({ ...commonOptionsShape, edgeId: nameSchema, namespace: nameSchema }).strict();

function configInvalid(fn: () => unknown): string {
  let message = '';
  assert.throws(fn, (err: unknown) => {
    assert.equal((err as { code?: unknown }).code, 'HS_ERR_CONFIG_INVALID', String(err));
    message = (err as Error).message;
    return true;
  });
  return message;
}

describe('parseConfig', () => {
  test('a valid config parses, gets its defaults, and is frozen', () => {
    const o = parseConfig(schema, { natsUrl: 'nats://localhost:4222', edgeId: 'edge-1', namespace: 'eu' }, 'edge node');
    assert.deepEqual(o, { natsUrl: 'nats://localhost:4222', edgeId: 'edge-1', namespace: 'eu', plugins: [] });
    assert.ok(Object.isFrozen(o));
    assert.throws(() => {
      (o as { edgeId: string }).edgeId = 'other';
    }, TypeError);
  });

  test('every option the runtimes share is accepted at its bounds', () => {
    const o = parseConfig(
      schema,
      {
        natsUrl: ['nats://a:4222', 'tls://b:4222'],
        edgeId: 'e',
        namespace: 'n',
        credentials: '/d/edges/e.nk',
        plugins: ['./p.js', {}],
        queueSize: 1,
        connectTimeoutMs: 100,
        timeouts: { initializeMs: 1 },
        limits: { maxPayloadBytes: 1024, maxMetadataEntries: 0, maxMetadataKeyBytes: 4096 },
      },
      'edge node',
    );
    assert.equal(o.queueSize, 1);
    assert.deepEqual(o.limits, { maxPayloadBytes: 1024, maxMetadataEntries: 0, maxMetadataKeyBytes: 4096 });
  });

  test('every problem is named, with its field path, in one HS_ERR_CONFIG_INVALID message', () => {
    const msg = configInvalid(() =>
      parseConfig(
        schema,
        {
          natsUrl: 'http://x',
          edgeId: '_all',
          namespace: 'a b',
          queueSize: 0,
          connectTimeoutMs: 1.5,
          limits: { maxPayloadBytes: 10, bogus: 1 },
          timeouts: { initializeMs: 0 },
          extra: 1,
        },
        'edge node',
      ),
    );
    assert.match(msg, /^HS_ERR_CONFIG_INVALID: edge node configuration is invalid: /);
    for (const part of [
      'natsUrl: must be a NATS URL like nats://host:4222',
      'edgeId: must be 1-64 characters of [A-Za-z0-9_-], not starting with "_"',
      'namespace: must be 1-64 characters',
      'queueSize: ',
      'connectTimeoutMs: ',
      'limits.maxPayloadBytes: ',
      'limits: Unrecognized key: "bogus"',
      'timeouts.initializeMs: ',
      '(root): Unrecognized key: "extra"',
    ]) {
      assert.ok(msg.includes(part), `message lacks ${JSON.stringify(part)}: ${msg}`);
    }
    assert.equal(msg.split('; ').length, 9, msg);
  });

  test('missing required fields are named', () => {
    const msg = configInvalid(() => parseConfig(schema, {}, 'edge node'));
    for (const f of ['natsUrl', 'edgeId', 'namespace']) assert.match(msg, new RegExp(`${f}: `));
  });

  test('a config that is not an object is a (root) problem', () => {
    for (const input of [undefined, null, 'nats://x', 5]) {
      assert.match(
        configInvalid(() => parseConfig(schema, input, 'control plane')),
        /^HS_ERR_CONFIG_INVALID: control plane configuration is invalid: \(root\): /,
      );
    }
  });
});

describe('serversSchema and nameSchema', () => {
  test('NATS URLs: one URL, host:port, or a non-empty list', () => {
    for (const ok of [
      'nats://localhost:4222',
      'tls://h:4443',
      'ws://h:8080',
      'wss://h',
      'localhost:4222',
      '10.0.0.1:4222',
      ['nats://a:4222'],
      ['a:1', 'b:2'],
    ]) {
      assert.equal(serversSchema.safeParse(ok).success, true, JSON.stringify(ok));
    }
    for (const bad of ['', 'http://h:4222', 'nats://', 'localhost', 'nats://a b', [], [''], 5]) {
      assert.equal(serversSchema.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });

  test('names: as DESIGN.md says', () => {
    for (const ok of ['eu', 'edge-1', 'A_b', 'x'.repeat(64)]) assert.equal(nameSchema.safeParse(ok).success, true, ok);
    for (const bad of ['', '_all', '_x', 'x'.repeat(65), 'a b', 'a.b', 'café', 5]) {
      assert.equal(nameSchema.safeParse(bad).success, false, String(bad));
    }
  });
});
