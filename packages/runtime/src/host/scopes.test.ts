import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { compilePattern } from '../events/matcher.js';
import { covers, parseScopes } from './scopes.js';

describe('covers', () => {
  test('a.> covers what the brief names, and refuses what it names', () => {
    for (const p of ['a.b', 'a.>', 'a.*', 'a.b.c', 'a.*.>', 'a.b.>']) assert.equal(covers('a.>', p), true, p);
    for (const p of ['>', '*.b', 'a', '*', '*.>', 'b.c']) assert.equal(covers('a.>', p), false, p);
  });

  test('literal, * and > scopes', () => {
    assert.equal(covers('a.b', 'a.b'), true);
    assert.equal(covers('a.b', 'a.*'), false, 'a.* also matches a.c');
    assert.equal(covers('a.b', 'a.b.c'), false);
    assert.equal(covers('a.b', 'a'), false);
    assert.equal(covers('*', 'x'), true);
    assert.equal(covers('*', '*'), true);
    assert.equal(covers('*', 'x.y'), false);
    assert.equal(covers('*', '>'), false, '> matches multi-token topics');
    assert.equal(covers('a.*.c', 'a.b.c'), true);
    assert.equal(covers('a.*.c', 'a.*.c'), true);
    assert.equal(covers('a.*.c', 'a.*.*'), false);
    assert.equal(covers('*.>', 'a'), false, '*.> needs two tokens at least');
    assert.equal(covers('*.>', 'a.b'), true);
    assert.equal(covers('*.>', '*.>'), true);
    assert.equal(covers('*.>', '>'), false);
    for (const p of ['>', 'a', '*', 'a.b.c', '*.>', 'a.*.>']) assert.equal(covers('>', p), true, p);
  });

  // Exhaustive over a small alphabet: covers(s, p) is exactly "every topic p matches, s matches too".
  // Topics use a token ("c") no pattern names, and are longer than any pattern, so that a counterexample to a
  // wrong "covers" is always among them.
  test('agrees with matching on every pattern pair over a small alphabet', () => {
    const patterns: string[] = [];
    const grow = (prefix: string[]): void => {
      if (prefix.length > 0) patterns.push(prefix.join('.'));
      if (prefix.length === 3 || prefix.at(-1) === '>') return;
      for (const t of ['a', 'b', '*', '>']) grow([...prefix, t]);
    };
    grow([]);
    const topics: string[] = [];
    const grow2 = (prefix: string[]): void => {
      if (prefix.length > 0) topics.push(prefix.join('.'));
      if (prefix.length === 4) return;
      for (const t of ['a', 'b', 'c']) grow2([...prefix, t]);
    };
    grow2([]);
    const matched = new Map(patterns.map((p) => [p, new Set(topics.filter(compilePattern(p)))]));
    let pairs = 0;
    for (const s of patterns) {
      const ms = matched.get(s) as Set<string>;
      for (const p of patterns) {
        const expected = [...(matched.get(p) as Set<string>)].every((t) => ms.has(t));
        assert.equal(covers(s, p), expected, `covers(${s}, ${p})`);
        pairs++;
      }
    }
    assert.equal(pairs, 52 * 52, '4 + 12 + 36 patterns of up to three tokens');
  });
});

describe('parseScopes', () => {
  test('reads every kind of scope', () => {
    const { scopes, problems } = parseScopes([
      'events.publish:orders.>',
      'events.publish:audit',
      'events.subscribe:*.created',
      'kv.readwrite',
      'control.send',
      'config.read',
      'config.write',
      'edges.read',
    ]);
    assert.deepEqual(problems, []);
    assert.deepEqual(scopes, {
      publish: ['orders.>', 'audit'],
      subscribe: ['*.created'],
      kv: true,
      controlSend: true,
      configRead: true,
      configWrite: true,
      edgesRead: true,
    });
  });

  test('an empty list grants nothing', () => {
    const { scopes, problems } = parseScopes([]);
    assert.deepEqual(problems, []);
    assert.deepEqual(scopes, {
      publish: [],
      subscribe: [],
      kv: false,
      controlSend: false,
      configRead: false,
      configWrite: false,
      edgesRead: false,
    });
  });

  test('names each bad scope', () => {
    const { problems } = parseScopes([
      'kv.read',
      'events.publish',
      'events.publish:',
      'events.subscribe:a..b',
      'events.subscribe:>.a',
      'events.publish:a b',
      'kv.readwrite:x',
      42,
      'events.subscribe:ok.>',
    ]);
    assert.equal(problems.length, 8, problems.join('\n'));
    assert.match(problems[0] as string, /scope "kv.read" is unknown \(known: events.publish:<pattern>, .*kv.readwrite/);
    assert.match(problems[1] as string, /scope "events.publish": the pattern is empty/);
    assert.match(problems[2] as string, /scope "events.publish:": the pattern is empty/);
    assert.match(problems[3] as string, /scope "events.subscribe:a..b": token "" is not/);
    assert.match(problems[4] as string, /scope "events.subscribe:>.a": ">" must be the last token/);
    assert.match(problems[5] as string, /scope "events.publish:a b": token "a b"/);
    assert.match(problems[6] as string, /scope "kv.readwrite:x" is unknown/);
    assert.match(problems[7] as string, /scope 42 is not a string/);
  });
});
