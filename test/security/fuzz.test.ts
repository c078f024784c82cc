// Bad input everywhere gets a coded error and changes nothing: runtime configs, subjects, seeds and the auth
// folder, fed random and mutated input (fast-check). The envelope codec, names, topics, metadata and heartbeats
// have their own property tests beside the code.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { controlPlaneOptionsSchema } from '@hubspoke/control-plane';
import { edgeNodeOptionsSchema } from '@hubspoke/edge-node';
import {
  addEdge,
  authPaths,
  initAuthDir,
  parseConfig,
  parseEventSubject,
  publicKeyOf,
  readSeedFile,
  revokeEdge,
  subjects,
} from '@hubspoke/runtime';
import { ErrorCode, isHubspokeError, isName, isTopic } from '@hubspoke/sdk';

const root = mkdtempSync(join(tmpdir(), 'hubspoke-fuzz-'));
after(() => rmSync(root, { recursive: true, force: true }));

function codedOrOk<T>(fn: () => T, code: ErrorCode): T | undefined {
  try {
    return fn();
  } catch (err) {
    assert.ok(isHubspokeError(err, code), `expected ${code}, got ${String(err)}`);
    return undefined;
  }
}

const weird = fc.oneof(
  fc.anything(),
  fc.string({ unit: fc.constantFrom('a', '.', '*', '>', '_', ' ', 'é', '/', ':', '\u0000'), maxLength: 30 }),
  fc.constantFrom(-1, 0, 1.5, 1e12, Number.NaN, Infinity, '', [], {}, null),
);

describe('runtime configs: random and mutated (property-based)', () => {
  const edge = {
    natsUrl: 'nats://127.0.0.1:4222',
    edgeId: 'e1',
    namespace: 'eu',
    credentials: '/d/e1.nk',
    heartbeatMs: 5000,
    tls: { ca: '/ca.pem', cert: '/c.pem', key: '/k.pem' },
    outbox: { maxMessages: 10, maxBytes: 4096 },
    leaf: { hubUrl: 'nats-leaf://h:7422', storeDir: '/s' },
    limits: { maxPayloadBytes: 4096 },
    queueSize: 10,
  };
  const control = { natsUrl: ['nats://a:4222'], credentials: '/d/control.nk', tls: { ca: '/ca.pem' }, queueSize: 10 };

  /** Replaces the value at a random path (one or two levels deep) with a random one. */
  function mutate(base: Record<string, unknown>) {
    return fc
      .tuple(
        fc.constantFrom(...Object.keys(base), 'unknownKey'),
        fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
        weird,
      )
      .map(([k, sub, v]) => {
        const copy = structuredClone(base);
        const inner = copy[k];
        if (sub !== undefined && inner && typeof inner === 'object' && !Array.isArray(inner)) {
          (inner as Record<string, unknown>)[sub] = v;
        } else copy[k] = v;
        return { copy, key: k };
      });
  }

  for (const [what, schema, base] of [
    ['edge node', edgeNodeOptionsSchema, edge],
    ['control plane', controlPlaneOptionsSchema, control],
  ] as const) {
    test(`${what}: a valid config parses; a mutated one parses or is HS_ERR_CONFIG_INVALID naming the field`, () => {
      assert.ok(Object.isFrozen(parseConfig(schema, base, what)));
      fc.assert(
        fc.property(mutate(base), ({ copy, key }) => {
          try {
            assert.ok(Object.isFrozen(parseConfig(schema, copy, what)));
          } catch (err) {
            assert.ok(isHubspokeError(err, ErrorCode.ConfigInvalid), String(err));
            assert.ok(
              (err as Error).message.includes(key) || /\(root\)/.test((err as Error).message),
              (err as Error).message,
            );
          }
        }),
        { numRuns: 1500 },
      );
      fc.assert(
        fc.property(weird, (v) => void codedOrOk(() => parseConfig(schema, v, what), ErrorCode.ConfigInvalid)),
        { numRuns: 1000 },
      );
    });
  }
});

describe('subjects: random names and topics (property-based)', () => {
  const token = fc.string({
    unit: fc.constantFrom('a', 'B', '0', '-', '_', '.', '*', '>', ' '),
    minLength: 0,
    maxLength: 12,
  });

  test('an Up subject built from valid names and a topic parses back to them; anything parses or is undefined', () => {
    fc.assert(
      fc.property(token, token, token, (ns, edge, topic) => {
        const parsed = parseEventSubject(subjects.up(ns, edge, topic));
        if (isName(ns) && isName(edge) && isTopic(topic)) {
          assert.deepEqual(parsed, { dir: 'up', namespace: ns, edgeId: edge, topic });
        }
        if (parsed)
          assert.equal(subjects.up(parsed.namespace, parsed.edgeId, parsed.topic), `hs.evt.up.${ns}.${edge}.${topic}`);
      }),
      { numRuns: 3000 },
    );
  });

  test("isInboxOf accepts only subjects under the edge's own inbox, with no wildcard or space", () => {
    fc.assert(
      fc.property(token, fc.option(token, { nil: undefined }), (suffix, other) => {
        const reply = other === undefined ? `_INBOX.eu.e1.${suffix}` : `_INBOX.${other}.${suffix}`;
        const ok = subjects.isInboxOf(reply, 'eu', 'e1');
        assert.equal(ok, reply.startsWith('_INBOX.eu.e1.') && !/[\s*>]/.test(reply));
      }),
      { numRuns: 2000 },
    );
    assert.equal(subjects.isInboxOf(undefined, 'eu', 'e1'), false);
    assert.equal(subjects.isInboxOf('_INBOX.eu.e10.x', 'eu', 'e1'), false);
  });
});

describe('credentials and the auth folder: random input changes nothing (property-based)', () => {
  test('random seed text: a user seed, or HS_ERR_CONFIG_INVALID', () => {
    const file = join(root, 'seed.nk');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 80 }),
          fc.string({ unit: fc.constantFrom('S', 'U', 'A', '2', '7', '\n'), maxLength: 70 }),
        ),
        (text) => {
          writeFileSync(file, text);
          const key = codedOrOk(() => readSeedFile(file), ErrorCode.ConfigInvalid);
          if (key) assert.equal(key.publicKey, publicKeyOf(key.seed));
          codedOrOk(() => publicKeyOf(text), ErrorCode.ConfigInvalid);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('edge add / revoke with random ids and namespaces: valid ones are added, the rest leave auth.conf as it was', () => {
    const dir = join(root, 'auth');
    initAuthDir(dir);
    const conf = (): string => readFileSync(authPaths(dir).conf, 'utf8');
    const name = fc.oneof(
      fc.string({
        unit: fc.constantFrom('a', 'Z', '9', '-', '_', '.', '*', '>', ' ', 'é', '"', '}', '\n'),
        maxLength: 70,
      }),
      fc.anything(),
    );
    fc.assert(
      fc.property(name, name, (id, ns) => {
        const before = conf();
        const added = codedOrOk(() => addEdge(dir, id as string, ns as string), ErrorCode.ConfigInvalid);
        if (!added) {
          assert.equal(conf(), before);
          return;
        }
        assert.ok(isName(id as string) && isName(ns as string));
        assert.notEqual(conf(), before);
        revokeEdge(dir, id as string);
        assert.equal(conf(), before);
      }),
      { numRuns: 300 },
    );
  });
});
