import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode, isHubspokeError } from './errors.js';
import { assertName, assertTopic, assertTopicPattern, isName, isTopic } from './names.js';

function assertCode(fn: () => unknown, code: ErrorCode, re: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isHubspokeError(err, code), `expected ${code}, got ${String(err)}`);
    assert.match((err as Error).message, re);
    return true;
  });
}

describe('topics (assertTopic, isTopic)', () => {
  test('valid topics', () => {
    for (const t of [
      'a',
      'cache.invalidate',
      'a.b.c.d',
      'A-Z_0-9.x',
      'x'.repeat(64),
      '_internal.ok',
      'a.' + 'b'.repeat(64),
    ]) {
      assert.doesNotThrow(() => assertTopic(t), t);
      assert.equal(isTopic(t), true, t);
    }
  });

  const bad: Array<[unknown, RegExp]> = [
    ['', /topic "" is invalid: it is empty/],
    [undefined, /it is empty/],
    [42, /it is empty/],
    ['a..b', /token 2 is empty/],
    ['.a', /token 1 is empty/],
    ['a.', /token 2 is empty/],
    ['.', /token 1 is empty/],
    ['a.*', /wildcard "\*" is not allowed in a published topic/],
    ['>', /wildcard ">" is not allowed in a published topic/],
    ['a.>', /wildcard ">" is not allowed/],
    ['café', /token "café" has characters outside \[A-Za-z0-9_-\]/],
    ['a b', /token "a b" has characters outside/],
    [' a', /has characters outside/],
    ['a\tb', /has characters outside/],
    ['a.b\n', /has characters outside/],
    ['a*', /token "a\*" has characters outside/],
    ['a/b', /has characters outside/],
    ['x'.repeat(65), /or is longer than 64/],
    [Array.from({ length: 257 }, () => 'a').join('.'), /it is longer than 512 characters/],
  ];
  for (const [t, re] of bad) {
    test(`refuses ${JSON.stringify(t)}`, () => {
      assertCode(() => assertTopic(t), ErrorCode.InvalidTopic, re);
      if (typeof t === 'string') assert.equal(isTopic(t), false);
    });
  }
});

describe('topic patterns (assertTopicPattern)', () => {
  test('accepts exact topics, * for one token and > for the rest', () => {
    for (const p of ['a', 'a.b', '*', '>', 'a.*', '*.b', 'a.*.c', 'a.>', '*.>', '*.*.>', 'a.*.>']) {
      assert.doesNotThrow(() => assertTopicPattern(p), p);
    }
  });

  const bad: Array<[unknown, RegExp]> = [
    ['', /pattern "" is invalid: it is empty/],
    ['a..b', /token 2 is empty/],
    ['.>', /token 1 is empty/],
    ['a.>.b', /">" must be the last token/],
    ['>.a', /">" must be the last token/],
    ['a*', /token "a\*" has characters outside/],
    ['a.b>', /token "b>" has characters outside/],
    ['café.*', /token "café"/],
    ['a b.*', /token "a b"/],
  ];
  for (const [p, re] of bad) {
    test(`refuses ${JSON.stringify(p)}`, () => assertCode(() => assertTopicPattern(p), ErrorCode.InvalidTopic, re));
  }
});

describe('names (assertName, isName)', () => {
  test('valid names', () => {
    for (const n of ['eu', 'edge-1', 'EDGE_2', 'a', '0', '-x', 'x'.repeat(64), 'cache-sync']) {
      assert.doesNotThrow(() => assertName('edge id', n), n);
      assert.equal(isName(n), true, n);
    }
  });

  const bad: unknown[] = [
    '',
    '_all',
    '_x',
    '_',
    'x'.repeat(65),
    'a b',
    'a.b',
    'café',
    'a*',
    '>',
    'a/b',
    undefined,
    null,
    5,
  ];
  for (const n of bad) {
    test(`refuses ${JSON.stringify(n) ?? String(n)}`, () => {
      assertCode(
        () => assertName('namespace', n),
        ErrorCode.InvalidName,
        /^HS_ERR_INVALID_NAME: namespace .* is invalid: use 1-64 characters of \[A-Za-z0-9_-\], not starting with "_"$/,
      );
      if (typeof n === 'string') assert.equal(isName(n), false);
    });
  }

  test('the message names the kind and the value', () => {
    for (const kind of ['namespace', 'edge id', 'plugin name', 'node id'] as const) {
      assertCode(
        () => assertName(kind, '_all'),
        ErrorCode.InvalidName,
        new RegExp(`^HS_ERR_INVALID_NAME: ${kind} "_all" is invalid`),
      );
    }
  });
});

describe('names and topics: random input (property-based)', () => {
  // Biased toward the characters that matter: separators, wildcards, the reserved "_", non-ASCII, controls.
  const char = fc.constantFrom('a', 'Z', '0', '-', '_', '.', '*', '>', ' ', 'é', '\u0000', '\n', '😀', '$');
  const text = fc.oneof(
    fc.string({ unit: char, maxLength: 80 }),
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.string({ unit: char, minLength: 500, maxLength: 600 }),
  );
  const NAME = /^[A-Za-z0-9_-]{1,64}$/;
  const TOKEN = /^[A-Za-z0-9_-]+$/;
  const topicOk = (t: string, pattern: boolean): boolean => {
    if (t.length === 0 || t.length > 512) return false;
    const tokens = t.split('.');
    return tokens.every(
      (tok, i) => TOKEN.test(tok) || (pattern && (tok === '*' || (tok === '>' && i === tokens.length - 1))),
    );
  };

  test('assertName accepts exactly the names of the wire contract; anything else is HS_ERR_INVALID_NAME', () => {
    fc.assert(
      fc.property(fc.oneof(text, fc.anything()), (v) => {
        const ok = typeof v === 'string' && NAME.test(v) && !v.startsWith('_');
        let threw: unknown;
        try {
          assertName('edge id', v);
        } catch (err) {
          threw = err;
        }
        if (ok) assert.equal(threw, undefined);
        else assert.ok(isHubspokeError(threw, ErrorCode.InvalidName), String(threw));
        if (typeof v === 'string') assert.equal(isName(v), ok);
      }),
      { numRuns: 3000 },
    );
  });

  test('assertTopic / assertTopicPattern accept exactly the contract; a rejection is HS_ERR_INVALID_TOPIC', () => {
    fc.assert(
      fc.property(fc.oneof(text, fc.anything()), (v) => {
        for (const pattern of [false, true]) {
          const ok = typeof v === 'string' && topicOk(v, pattern);
          let threw: unknown;
          try {
            if (pattern) assertTopicPattern(v);
            else assertTopic(v);
          } catch (err) {
            threw = err;
          }
          if (ok) assert.equal(threw, undefined, `${JSON.stringify(v)} pattern=${pattern}`);
          else assert.ok(isHubspokeError(threw, ErrorCode.InvalidTopic), `${JSON.stringify(v)}: ${String(threw)}`);
        }
        if (typeof v === 'string') assert.equal(isTopic(v), topicOk(v, false));
      }),
      { numRuns: 3000 },
    );
  });
});
