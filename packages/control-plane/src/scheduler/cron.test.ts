import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseCron } from './cron.js';

const at = (iso: string) => new Date(iso).getTime();
/** The first `n` ticks after `from`, as ISO strings. */
function ticks(expr: string, from: string, n: number): string[] {
  const c = parseCron(expr);
  const out: string[] = [];
  let t = at(from);
  for (let i = 0; i < n; i++) {
    const d = c.next(t);
    assert.ok(d, `${expr} has a tick after ${new Date(t).toISOString()}`);
    out.push(d.toISOString());
    t = d.getTime();
  }
  return out;
}

describe('parseCron', () => {
  test('* * * * * fires at every whole minute, strictly after the given time', () => {
    assert.deepEqual(ticks('* * * * *', '2026-01-01T10:00:00.000Z', 2), [
      '2026-01-01T10:01:00.000Z',
      '2026-01-01T10:02:00.000Z',
    ]);
    assert.deepEqual(ticks('* * * * *', '2026-01-01T10:00:59.999Z', 1), ['2026-01-01T10:01:00.000Z']);
  });

  test('numbers, lists, ranges and steps', () => {
    assert.deepEqual(ticks('*/15 * * * *', '2026-01-01T10:07:00Z', 3), [
      '2026-01-01T10:15:00.000Z',
      '2026-01-01T10:30:00.000Z',
      '2026-01-01T10:45:00.000Z',
    ]);
    assert.deepEqual(ticks('5,10-12 3 * * *', '2026-01-01T00:00:00Z', 5), [
      '2026-01-01T03:05:00.000Z',
      '2026-01-01T03:10:00.000Z',
      '2026-01-01T03:11:00.000Z',
      '2026-01-01T03:12:00.000Z',
      '2026-01-02T03:05:00.000Z',
    ]);
    assert.deepEqual(ticks('0 8-18/5 * * *', '2026-01-01T00:00:00Z', 4), [
      '2026-01-01T08:00:00.000Z',
      '2026-01-01T13:00:00.000Z',
      '2026-01-01T18:00:00.000Z',
      '2026-01-02T08:00:00.000Z',
    ]);
    assert.deepEqual(ticks('50/5 * * * *', '2026-01-01T00:00:00Z', 3), [
      '2026-01-01T00:50:00.000Z',
      '2026-01-01T00:55:00.000Z',
      '2026-01-01T01:50:00.000Z',
    ]);
  });

  test('month and weekday names, 7 as Sunday, case-insensitive', () => {
    // 2026-01-01 is a Thursday.
    assert.deepEqual(ticks('0 9 * * MON-fri', '2026-01-01T12:00:00Z', 3), [
      '2026-01-02T09:00:00.000Z',
      '2026-01-05T09:00:00.000Z',
      '2026-01-06T09:00:00.000Z',
    ]);
    assert.deepEqual(ticks('0 0 * * 7', '2026-01-01T00:00:00Z', 1), ['2026-01-04T00:00:00.000Z']);
    assert.deepEqual(ticks('0 0 * * 0', '2026-01-01T00:00:00Z', 1), ['2026-01-04T00:00:00.000Z']);
    assert.deepEqual(ticks('0 0 1 jun,Dec *', '2026-01-01T00:00:00Z', 3), [
      '2026-06-01T00:00:00.000Z',
      '2026-12-01T00:00:00.000Z',
      '2027-06-01T00:00:00.000Z',
    ]);
  });

  test('day-of-month and day-of-week both restricted: either matches (Vixie cron)', () => {
    // the 13th, or any Friday
    assert.deepEqual(ticks('0 0 13 * 5', '2026-01-01T00:00:00Z', 4), [
      '2026-01-02T00:00:00.000Z',
      '2026-01-09T00:00:00.000Z',
      '2026-01-13T00:00:00.000Z',
      '2026-01-16T00:00:00.000Z',
    ]);
    // a starred day-of-week leaves day-of-month alone
    assert.deepEqual(ticks('0 0 31 * *', '2026-01-01T00:00:00Z', 3), [
      '2026-01-31T00:00:00.000Z',
      '2026-03-31T00:00:00.000Z',
      '2026-05-31T00:00:00.000Z',
    ]);
  });

  test('February 29 is found across years; a date that never exists is refused', () => {
    assert.deepEqual(ticks('0 0 29 2 *', '2026-01-01T00:00:00Z', 2), [
      '2028-02-29T00:00:00.000Z',
      '2032-02-29T00:00:00.000Z',
    ]);
    assert.throws(() => parseCron('0 0 30 2 *'), /HS_ERR_INVALID_ARGUMENT: cron "0 0 30 2 \*": never fires/);
  });

  test('six fields: seconds first', () => {
    const c = parseCron('*/20 * * * * *');
    assert.equal(c.hasSeconds, true);
    assert.deepEqual(ticks('*/20 * * * * *', '2026-01-01T00:00:00.500Z', 4), [
      '2026-01-01T00:00:20.000Z',
      '2026-01-01T00:00:40.000Z',
      '2026-01-01T00:01:00.000Z',
      '2026-01-01T00:01:20.000Z',
    ]);
    assert.deepEqual(ticks('* * * * * *', '2026-01-01T00:00:00.999Z', 2), [
      '2026-01-01T00:00:01.000Z',
      '2026-01-01T00:00:02.000Z',
    ]);
    assert.equal(parseCron('* * * * *').hasSeconds, false);
  });

  test('macros', () => {
    assert.deepEqual(ticks('@hourly', '2026-01-01T00:30:00Z', 1), ['2026-01-01T01:00:00.000Z']);
    assert.deepEqual(ticks('@daily', '2026-01-01T00:30:00Z', 1), ['2026-01-02T00:00:00.000Z']);
    assert.deepEqual(ticks('@weekly', '2026-01-01T00:30:00Z', 1), ['2026-01-04T00:00:00.000Z']);
    assert.deepEqual(ticks('@monthly', '2026-01-01T00:30:00Z', 1), ['2026-02-01T00:00:00.000Z']);
    assert.deepEqual(ticks('@yearly', '2026-01-01T00:30:00Z', 1), ['2027-01-01T00:00:00.000Z']);
  });

  test('ticks cross month and year ends', () => {
    assert.deepEqual(ticks('59 23 * * *', '2026-12-31T23:59:00Z', 1), ['2027-01-01T23:59:00.000Z']);
    assert.deepEqual(ticks('0 0 * * *', '2026-12-31T12:00:00Z', 1), ['2027-01-01T00:00:00.000Z']);
  });

  test('bad expressions are refused naming the field and the problem', () => {
    const bad: [string, RegExp][] = [
      ['', /has 0 fields; write five/],
      ['* * * *', /has 4 fields/],
      ['* * * * * * *', /has 7 fields/],
      ['60 * * * *', /minute: 60 is out of range 0-59/],
      ['* 24 * * *', /hour: 24 is out of range 0-23/],
      ['* * 0 * *', /day-of-month: 0 is out of range 1-31/],
      ['* * * 13 *', /month: 13 is out of range 1-12/],
      ['* * * * 8', /day-of-week: 8 is out of range 0-7/],
      ['* * * foo *', /month: "foo" is not a number or a name \(jan, /],
      ['x * * * *', /minute: "x" is not a number$/],
      ['*/0 * * * *', /minute: step "0" must be a positive integer/],
      ['*/ * * * *', /minute: step "" must be/],
      ['5-1 * * * *', /minute: range 5-1 runs backwards/],
      ['1-2-3 * * * *', /minute: "1-2-3" is not a range/],
      ['1,,2 * * * *', /minute: "" is empty or malformed/],
      ['61 * * * * *', /second: 61 is out of range/],
    ];
    for (const [expr, re] of bad) {
      assert.throws(
        () => parseCron(expr),
        (e: Error & { code?: string }) =>
          e.code === 'HS_ERR_INVALID_ARGUMENT' && e.message.includes(`cron "${expr}"`) && re.test(e.message),
        expr,
      );
    }
  });
});
