import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createRootLogger } from '@hubspoke/runtime';
import { logOutput } from './log-output.js';

test('logs: pretty and coloured on a terminal, JSON lines otherwise; --log-format and --json decide', async () => {
  assert.equal(logOutput('info', 'auto', { isTTY: false }, {}).destination, undefined, 'a pipe gets JSON');
  assert.equal(logOutput('info', 'json', { isTTY: true }, {}).destination, undefined, 'json even on a terminal');
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const o = logOutput('info', 'auto', { isTTY: true }, {}, out);
  assert.ok(o.destination, 'a terminal gets pino-pretty');
  createRootLogger('edge-1', o).child({ plugin: 'cache' }).info({ key: 'k' }, 'node ready');
  await new Promise((r) => setImmediate(r));
  assert.match(text, /INFO/);
  assert.match(text, /\[cache\] node ready/);
  assert.match(text, /\x1b\[/, 'coloured');
  assert.doesNotMatch(text, /^\{"level"/m, 'not JSON');
  const plain = new PassThrough();
  let noColour = '';
  plain.on('data', (d: Buffer) => (noColour += d.toString()));
  createRootLogger('x', logOutput('info', 'pretty', { isTTY: true }, { NO_COLOR: '1' }, plain)).info('hi');
  await new Promise((r) => setImmediate(r));
  assert.doesNotMatch(noColour, /\x1b\[/, 'NO_COLOR turns colour off');
});
