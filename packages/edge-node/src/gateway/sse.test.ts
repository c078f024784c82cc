import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SseSplitter } from './sse.js';
import { usageFromJson, usageFromSseEvent } from './usage.js';

test('SSE events are handed on whole as soon as their blank line arrives, across chunk boundaries', () => {
  const s = new SseSplitter();
  assert.deepEqual(s.push(Buffer.from('data: a\n')), []);
  assert.deepEqual(
    s.push(Buffer.from('\ndata: b\n\ndata: c')).map((b) => b.toString()),
    ['data: a\n\n', 'data: b\n\n'],
  );
  assert.deepEqual(
    s.push(Buffer.from('\r\n\r\nevent: x\r\ndata: d\r\n\r\n')).map((b) => b.toString()),
    ['data: c\r\n\r\n', 'event: x\r\ndata: d\r\n\r\n'],
  );
  assert.equal(s.end(), undefined);
  s.push(Buffer.from('data: tail'));
  assert.equal(s.end()?.toString(), 'data: tail');
});

test('usage comes from an OpenAI-style JSON body or the SSE event carrying it', () => {
  const body = { model: 'm', usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } };
  assert.deepEqual(usageFromJson(Buffer.from(JSON.stringify(body))), {
    model: 'm',
    promptTokens: 3,
    completionTokens: 4,
    totalTokens: 7,
  });
  assert.equal(usageFromJson(Buffer.from('{"x":1}')), undefined);
  const nested = {
    id: 'x',
    usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3, prompt_tokens_details: { cached_tokens: 0 } },
    model: 'gpt-\\"q',
  };
  assert.deepEqual(usageFromJson(new TextEncoder().encode(JSON.stringify(nested))), {
    model: 'gpt-\\"q',
    promptTokens: 1,
    completionTokens: 2,
    totalTokens: 3,
  });
  assert.equal(usageFromJson(Buffer.from('not json')), undefined);
  assert.equal(usageFromSseEvent(Buffer.from(`data: ${JSON.stringify(body)}\n\n`))?.totalTokens, 7);
  assert.equal(usageFromSseEvent(Buffer.from('data: {"n":1}\n\n')), undefined);
  assert.equal(usageFromSseEvent(Buffer.from('data: [DONE]\n\n')), undefined);
});
