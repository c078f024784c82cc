import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePlainPubAck } from './js-publisher.js';

test('parsePlainPubAck reads what nats-server writes as JSON.parse does, and leaves every other shape to it', () => {
  const plain = [
    '{"stream":"HS_OUTBOX_0123456789abcdef0123456789abcdef","domain":"edge-b0","seq":123456}',
    '{"stream":"HS_PAYLOADS","seq":1}',
    '{"stream":"HS_PAYLOADS","domain":"hub","seq":42,"duplicate":true}',
    '{"stream":"KV_hs-dispatch","seq":9007199254740991}',
  ];
  for (const text of plain) {
    const j = JSON.parse(text) as { stream: string; seq: number; duplicate?: boolean };
    assert.deepEqual(parsePlainPubAck(text), { stream: j.stream, seq: j.seq, duplicate: j.duplicate === true }, text);
  }
  const others = [
    '{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"},"stream":"S","seq":0}',
    '{"stream":"S","seq":1,"error":{"code":400}}',
    '{"seq":1,"stream":"S"}',
    '{"stream":"S\\"x","seq":1}',
    '{"stream":"S","seq":-1}',
    '{"stream":"S","seq":1,"duplicate":false}',
    '{"stream":"S","seq":1} ',
    'not json',
    '',
  ];
  for (const text of others) assert.equal(parsePlainPubAck(text), undefined, text);
});
