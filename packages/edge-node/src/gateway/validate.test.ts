import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pathProblem, splitTarget } from './validate.js';

test('clean paths pass; traversal in every spelling, encoded slashes, control bytes and bad escapes do not', () => {
  for (const ok of ['/', '/a/b', '/llm/openai/v1/chat', '/a/b/', '/a/%20b', '/a/..b', '/a/b..']) {
    assert.equal(pathProblem(ok), undefined, ok);
  }
  for (const bad of [
    'a/b',
    '/a/../b',
    '/a/..',
    '/a/./b',
    '/a/%2e%2e/b',
    '/a/%2E%2e',
    '/a/.%2e/b',
    '/a/%2e/b',
    '/a/..%2fb',
    '/a/%2Fb',
    '/a/%5cb',
    '/a\\b',
    '/a/%00',
    '/a/\u0001',
    '/a//b',
    '/a/%zz',
  ]) {
    assert.ok(pathProblem(bad), bad);
  }
});

test('splitTarget splits off the query without its ?', () => {
  assert.deepEqual(splitTarget('/a?x=1&y'), { path: '/a', query: 'x=1&y' });
  assert.deepEqual(splitTarget('/a'), { path: '/a', query: '' });
});
