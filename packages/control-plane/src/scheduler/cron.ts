import { ErrorCode, HubspokeError } from '@hubspoke/sdk';

/** A parsed cron expression; times are UTC, so that every replica computes the same ticks. */
export interface Cron {
  readonly expression: string;
  /** True for the six-field form, whose first field is the second. */
  readonly hasSeconds: boolean;
  /** The first tick strictly after `after`, or `undefined` when there is none within ten years. */
  next(after: Date | number): Date | undefined;
}

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const SECOND: Field = { name: 'second', min: 0, max: 59 };
const MINUTE: Field = { name: 'minute', min: 0, max: 59 };
const HOUR: Field = { name: 'hour', min: 0, max: 23 };
const DAY: Field = { name: 'day-of-month', min: 1, max: 31 };
const MONTH: Field = {
  name: 'month',
  min: 1,
  max: 12,
  names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
};
// 0 and 7 are both Sunday.
const WEEKDAY: Field = {
  name: 'day-of-week',
  min: 0,
  max: 7,
  names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
};

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const HORIZON_MS = 10 * 366 * 24 * 3600 * 1000;

class CronSyntaxError extends Error {}

function value(text: string, f: Field): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < f.min || n > f.max) throw new CronSyntaxError(`${f.name}: ${n} is out of range ${f.min}-${f.max}`);
    return n;
  }
  const i = f.names?.indexOf(text.toLowerCase()) ?? -1;
  if (i < 0) {
    const what = f.names ? `a number or a name (${f.names.join(', ')})` : 'a number';
    throw new CronSyntaxError(`${f.name}: "${text}" is not ${what}`);
  }
  return f === MONTH ? i + 1 : i;
}

/** The values one field allows, as a table indexed by value. */
function field(text: string, f: Field): boolean[] {
  const allowed = new Array<boolean>(f.max + 1).fill(false);
  for (const item of text.split(',')) {
    const m = /^([^/]+)(?:\/(.*))?$/.exec(item);
    if (!m) throw new CronSyntaxError(`${f.name}: "${item}" is empty or malformed`);
    const [, range = '', stepText] = m;
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
        throw new CronSyntaxError(`${f.name}: step "${stepText}" must be a positive integer`);
      }
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [f.min, f.max];
    else if (range.includes('-')) {
      const [a = '', b = '', ...rest] = range.split('-');
      if (rest.length > 0) throw new CronSyntaxError(`${f.name}: "${range}" is not a range a-b`);
      [lo, hi] = [value(a, f), value(b, f)];
      if (lo > hi) throw new CronSyntaxError(`${f.name}: range ${range} runs backwards`);
    } else {
      lo = value(range, f);
      // "5/15" means from 5 to the end, every 15; a lone number is just itself.
      hi = stepText === undefined ? lo : f.max;
    }
    for (let v = lo; v <= hi; v += step) allowed[v] = true;
  }
  return allowed;
}

function problem(expression: string, why: string): HubspokeError {
  return new HubspokeError(ErrorCode.InvalidArgument, `cron "${expression}": ${why}`);
}

/**
 * Parses a cron expression: five fields (minute hour day-of-month month day-of-week) or six (second first),
 * each `*`, a number, a range `a-b`, a step `*\/n`, `a-b/n` or `a/n`, or a comma list of these; months and
 * weekdays also by name (`jan`, `mon-fri`); `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly` too. When
 * both day-of-month and day-of-week are restricted, a day matching either runs (as in Vixie cron).
 * @throws HubspokeError `HS_ERR_INVALID_ARGUMENT` naming the field and what is wrong with it
 */
export function parseCron(expression: string): Cron {
  const text = MACROS[expression.trim().toLowerCase()] ?? expression.trim();
  const parts = text.split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) {
    throw problem(
      expression,
      `has ${text === '' ? 0 : parts.length} fields; write five (minute hour day-of-month month day-of-week) or six (second first)`,
    );
  }
  const hasSeconds = parts.length === 6;
  const [s, mi, h, dom, mo, dow] = (hasSeconds ? parts : ['0', ...parts]) as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  let tables: boolean[][];
  try {
    tables = [
      field(s, SECOND),
      field(mi, MINUTE),
      field(h, HOUR),
      field(dom, DAY),
      field(mo, MONTH),
      field(dow, WEEKDAY),
    ];
  } catch (err) {
    if (err instanceof CronSyntaxError) throw problem(expression, err.message);
    throw err;
  }
  const [seconds, minutes, hours, days, months, weekdays] = tables as [
    boolean[],
    boolean[],
    boolean[],
    boolean[],
    boolean[],
    boolean[],
  ];
  if (weekdays[7]) weekdays[0] = true;
  const domStar = dom.startsWith('*');
  const dowStar = dow.startsWith('*');
  const dayMatches = (d: Date): boolean => {
    const byDom = days[d.getUTCDate()] === true;
    const byDow = weekdays[d.getUTCDay()] === true;
    if (domStar && dowStar) return true;
    if (domStar) return byDow;
    if (dowStar) return byDom;
    return byDom || byDow;
  };
  const next = (after: Date | number): Date | undefined => {
    const from = typeof after === 'number' ? after : after.getTime();
    const unit = hasSeconds ? 1000 : 60000;
    let t = Math.floor(from / unit) * unit + unit;
    const limit = from + HORIZON_MS;
    while (t <= limit) {
      const d = new Date(t);
      const [y, m, day, hr, min] = [
        d.getUTCFullYear(),
        d.getUTCMonth(),
        d.getUTCDate(),
        d.getUTCHours(),
        d.getUTCMinutes(),
      ];
      if (!months[m + 1]) t = Date.UTC(y, m + 1, 1);
      else if (!dayMatches(d)) t = Date.UTC(y, m, day + 1);
      else if (!hours[hr]) t = Date.UTC(y, m, day, hr + 1);
      else if (!minutes[min]) t = Date.UTC(y, m, day, hr, min + 1);
      else if (!seconds[d.getUTCSeconds()]) t += 1000;
      else return d;
    }
    return undefined;
  };
  if (next(Date.now()) === undefined) throw problem(expression, 'never fires (no such date, e.g. February 30)');
  return Object.freeze({ expression, hasSeconds, next });
}
