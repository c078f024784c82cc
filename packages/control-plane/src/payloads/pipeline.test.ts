import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compose, type Middleware } from './pipeline.js';
import { delivery } from './test-delivery.js';

test('compose: the first middleware is the outermost, the handler innermost', async () => {
  const seen: string[] = [];
  const mark =
    (name: string): Middleware =>
    (next) =>
    async (d) => {
      seen.push(`>${name}`);
      const r = await next(d);
      seen.push(`<${name}`);
      return r;
    };
  const r = await compose([mark('a'), mark('b')], async () => {
    seen.push('h');
    return { kind: 'event' };
  })(delivery(new Uint8Array()));
  assert.deepEqual(r, { kind: 'event' });
  assert.deepEqual(seen, ['>a', '>b', 'h', '<b', '<a']);
});
