import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KVService } from '@hubspoke/sdk';
import { waitFor } from '../helpers/index.js';

const text = (v: Uint8Array | undefined) => (v === undefined ? undefined : Buffer.from(v).toString());

/** The KV conformance suite: every implementation of `ctx.services.kv` must pass it. */
export function kvConformance(
  name: string,
  open: () => Promise<{ a: KVService; b: KVService; reopenA: () => Promise<KVService> }>,
): void {
  test(`${name}: put, get, overwrite, delete`, async () => {
    const { a } = await open();
    assert.equal(await a.get('missing'), undefined);
    await a.put('user.1', 'alice');
    assert.equal(text(await a.get('user.1')), 'alice');
    await a.put('user.1', new Uint8Array([0, 255]));
    assert.deepEqual([...((await a.get('user.1')) as Uint8Array)], [0, 255]);
    assert.equal(await a.delete('user.1'), true);
    assert.equal(await a.delete('user.1'), false);
    assert.equal(await a.get('user.1'), undefined);
  });

  test(`${name}: list(prefix) is sorted and scoped to the plugin`, async () => {
    const { a, b } = await open();
    for (const k of ['s.2', 's.1', 'sx', 't.1']) await a.put(k, k);
    await b.put('s.9', 'other plugin');
    assert.deepEqual(await a.list('s.'), ['s.1', 's.2']);
    assert.deepEqual(await a.list('s'), ['s.1', 's.2', 'sx']);
    assert.deepEqual(await a.list(), ['s.1', 's.2', 'sx', 't.1']);
    assert.deepEqual(await b.list(), ['s.9']);
    assert.equal(await b.get('s.1'), undefined, 'plugins do not see each other');
  });

  test(`${name}: ttlMs expires a key`, async () => {
    const { a } = await open();
    await a.put('short', 'x', { ttlMs: 150 });
    await a.put('long', 'y', { ttlMs: 60000 });
    assert.equal(text(await a.get('short')), 'x');
    await waitFor(async () => (await a.get('short')) === undefined, { timeoutMs: 3000 });
    assert.deepEqual(await a.list(), ['long']);
    assert.equal(await a.delete('short'), false, 'an expired key does not exist');
  });

  test(`${name}: values survive reopening`, async () => {
    const { a, reopenA } = await open();
    await a.put('keep', 'me');
    const again = await reopenA();
    assert.equal(text(await again.get('keep')), 'me');
  });

  test(`${name}: bad keys get HS_ERR_INVALID_KEY, bad values HS_ERR_INVALID_ARGUMENT`, async () => {
    const { a } = await open();
    for (const k of ['', 'a b', 'a..b', '.a', 'a.', 'ä', 'x'.repeat(300)]) {
      await assert.rejects(a.put(k, 'v'), (e: { code?: string }) => e.code === 'HS_ERR_INVALID_KEY', JSON.stringify(k));
    }
    await assert.rejects(
      a.put('k', 'v', { ttlMs: -1 }),
      (e: { code?: string }) => e.code === 'HS_ERR_INVALID_ARGUMENT',
    );
    await assert.rejects(
      a.put('k', 42 as unknown as string),
      (e: { code?: string }) => e.code === 'HS_ERR_INVALID_ARGUMENT',
    );
  });
}
