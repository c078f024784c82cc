import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { SeenIds, fabricSeq } from './seen-ids.js';

const P = 'AbCdEfGhIj_-';
const id = (seq: number, prefix = P): string => `${prefix}.${seq.toString(36)}`;

describe('SeenIds', () => {
  test('fabricSeq reads the counter of a fabric id and refuses other shapes', () => {
    assert.equal(fabricSeq(id(0)), 0);
    assert.equal(fabricSeq(id(35)), 35);
    assert.equal(fabricSeq(id(123456789)), 123456789);
    for (const bad of ['', 'x', `${P}.`, `${P}x1`, `${P}.A`, `${P}.0a`, `${P}.-1`, `short.1`, `${P}.zzzzzzzzzzz`]) {
      assert.equal(fabricSeq(bad), -1, bad);
    }
  });

  test('true the first time, false for a duplicate, per origin; out-of-order ids within the window count once', () => {
    const s = new SeenIds(64);
    assert.equal(s.add(id(10)), true);
    assert.equal(s.add(id(10)), false);
    assert.equal(s.add(id(10, 'ZZZZZZZZZZZZ')), true, 'another origin, same counter');
    assert.equal(s.add(id(12)), true);
    assert.equal(s.add(id(11)), true, 'late but new');
    assert.equal(s.add(id(11)), false);
    assert.equal(s.add(id(5)), true, 'below the first one seen, within the window');
    assert.equal(s.add(id(5)), false);
  });

  test('a jump clears the reused part of the window, so new counters are not taken for duplicates', () => {
    const s = new SeenIds(64);
    for (let i = 0; i < 64; i++) assert.equal(s.add(id(i)), true);
    assert.equal(s.add(id(64 + 10)), true);
    for (let i = 64; i < 64 + 10; i++) assert.equal(s.add(id(i)), true, `counter ${i} shares a bit with ${i - 64}`);
    assert.equal(s.add(id(1000)), true, 'a jump beyond the window');
    assert.equal(s.add(id(999)), true);
    assert.equal(s.add(id(1000)), false);
  });

  test('ids older than their window, and ids of another shape, are remembered by the fallback ring', () => {
    const s = new SeenIds(32, 4);
    s.add(id(100));
    assert.equal(s.add(id(3)), true, 'too old for the window: new to the fallback');
    assert.equal(s.add(id(3)), false, 'and remembered there');
    assert.equal(s.add('custom-id-1'), true);
    assert.equal(s.add('custom-id-1'), false);
  });

  test('has() tells without remembering', () => {
    const s = new SeenIds(32, 4);
    assert.equal(s.has(id(7)), false);
    assert.equal(s.has(id(7)), false, 'asking does not remember');
    s.add(id(7));
    assert.equal(s.has(id(7)), true);
    assert.equal(s.has(id(6)), false);
    s.add(id(100));
    assert.equal(s.has(id(7)), false, 'beyond the window and never in the fallback');
    s.add('x');
    assert.equal(s.has('x'), true);
  });

  test('forgets the oldest origin beyond maxOrigins', () => {
    const s = new SeenIds(32, 16, 2);
    s.add(id(1, 'AAAAAAAAAAAA'));
    s.add(id(1, 'BBBBBBBBBBBB'));
    s.add(id(1, 'CCCCCCCCCCCC'));
    assert.equal(s.add(id(1, 'AAAAAAAAAAAA')), true, 'A was forgotten');
    assert.equal(s.add(id(1, 'CCCCCCCCCCCC')), false);
  });

  test('property: agrees with a plain set while every counter stays within its origin window', () => {
    const origins = ['AAAAAAAAAAAA', 'BBBBBBBBBBBB', 'CCCCCCCCCCCC'];
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc
              .record({ o: fc.integer({ min: 0, max: 2 }), seq: fc.integer({ min: 0, max: 255 }) })
              .map((r) => id(r.seq, origins[r.o])),
            fc.string({ maxLength: 20 }),
          ),
          { maxLength: 400 },
        ),
        (ids) => {
          const s = new SeenIds(256, 1024);
          const ref = new Set<string>();
          for (const x of ids) {
            const expected = !ref.has(x);
            ref.add(x);
            if (s.add(x) !== expected) return false;
          }
          return true;
        },
      ),
      { numRuns: 2000 },
    );
  });
});
