import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, isHubspokeError } from '@hubspoke/sdk';
import { pluginCall } from './host.js';

const named = (re: RegExp) => (err: unknown) => isHubspokeError(err, ErrorCode.Plugin) && re.test(String(err));

describe('pluginCall', () => {
  test('resolves what the plugin answers, sync or async', async () => {
    assert.equal(await pluginCall('p', 'step', 500, () => 7), 7);
    assert.equal(await pluginCall('p', 'step', 5000, async () => 'x'), 'x');
  });

  test('a throw, a rejection or an answer past the timeout fails with HS_ERR_PLUGIN naming the plugin and step', async () => {
    await assert.rejects(
      pluginCall('p', 'sync', 500, () => {
        throw new Error('boom');
      }),
      named(/plugin p: sync failed: boom/),
    );
    await assert.rejects(
      pluginCall('p', 'async', 5000, () => Promise.reject(new Error('bad'))),
      named(/plugin p: async failed: bad/),
    );
    await assert.rejects(
      pluginCall('p', 'slow', 20, () => new Promise(() => undefined)),
      named(/plugin p: slow did not finish within 20 ms/),
    );
  });

  test('with a map, the answer and every failure become the promise value; a late answer is ignored', async () => {
    const seen: string[] = [];
    const map = {
      ok: (v: number) => {
        seen.push(`ok ${v}`);
        return `ok ${v}`;
      },
      err: (e: Error) => `err ${e.message}`,
    };
    assert.equal(await pluginCall('p', 'step', 500, () => 1, map), 'ok 1');
    assert.equal(await pluginCall('p', 'step', 5000, async () => 2, map), 'ok 2');
    assert.equal(
      await pluginCall(
        'p',
        'step',
        500,
        () => {
          throw new Error('boom');
        },
        map,
      ),
      'err HS_ERR_PLUGIN: plugin p: step failed: boom',
    );
    let answer: (v: number) => void = () => undefined;
    const late = new Promise<number>((resolve) => (answer = resolve));
    assert.equal(
      await pluginCall('p', 'slow', 20, () => late, map),
      'err HS_ERR_PLUGIN: plugin p: slow did not finish within 20 ms',
    );
    answer(3);
    await late;
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(seen, ['ok 1', 'ok 2'], 'the answer after the timeout was not mapped');
    // A map may go on asynchronously (the next receiver): its promise is adopted.
    assert.equal(await pluginCall('p', 'step', 500, () => 4, { ok: async (v) => v * 10, err: () => -1 }), 40);
  });
});
