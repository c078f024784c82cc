import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { compilePattern } from './matcher.js';

function check(pattern: string, yes: string[], no: string[]): void {
  const m = compilePattern(pattern);
  for (const t of yes) assert.equal(m(t), true, `${pattern} should match ${t}`);
  for (const t of no) assert.equal(m(t), false, `${pattern} should not match ${t}`);
}

describe('compilePattern', () => {
  test('an exact topic matches itself only', () => {
    check(
      'cache.invalidate',
      ['cache.invalidate'],
      ['cache', 'cache.invalidate.x', 'cache.invalidatex', 'x.cache.invalidate', ''],
    );
    check('a', ['a'], ['a.b', 'b', 'aa']);
  });

  test('* matches exactly one token', () => {
    check('a.*', ['a.b', 'a.xyz'], ['a', 'a.b.c', 'b.c']);
    check('*.b', ['a.b', 'z.b'], ['b', 'a.b.c', 'a.c']);
    check('a.*.c', ['a.b.c', 'a.x.c'], ['a.c', 'a.b.d', 'a.b.c.d']);
    check('*', ['a', 'xyz'], ['a.b']);
    check('*.*', ['a.b'], ['a', 'a.b.c']);
  });

  test('> matches one or more tokens at the end', () => {
    check('a.>', ['a.b', 'a.b.c', 'a.b.c.d.e'], ['a', 'b.a', 'ab.c', 'b']);
    check('a.b.>', ['a.b.c', 'a.b.c.d'], ['a.b', 'a', 'a.c.d']);
    check('*.>', ['a.b', 'a.b.c'], ['a']);
    check('a.*.>', ['a.b.c', 'a.b.c.d'], ['a.b', 'a']);
  });

  test('> alone matches every topic', () => {
    check('>', ['a', 'a.b', 'a.b.c.d'], []);
  });

  test('wildcards are whole tokens: a token containing * or > is compared literally', () => {
    check('a*.b', [], ['a.b', 'ab.b', 'ax.b']);
    check('a.*', ['a.*'], []);
  });
});
