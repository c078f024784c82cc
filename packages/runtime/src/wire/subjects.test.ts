import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ALL, parseEventSubject, subjects } from './subjects.js';

describe('subjects', () => {
  test('follow the wire contract (DESIGN.md)', () => {
    assert.equal(ALL, '_all');
    assert.equal(subjects.up('eu', 'edge-1', 'cache.invalidate'), 'hs.evt.up.eu.edge-1.cache.invalidate');
    assert.equal(subjects.down('eu', 'edge-1', 't'), 'hs.evt.down.eu.edge-1.t');
    assert.equal(subjects.down(undefined, undefined, 't'), 'hs.evt.down._all._all.t');
    assert.equal(subjects.down('', '', 't'), 'hs.evt.down._all._all.t');
    assert.equal(subjects.down('eu', undefined, 'a.b'), 'hs.evt.down.eu._all.a.b');
    assert.equal(subjects.down(undefined, 'edge-1', 't'), 'hs.evt.down._all.edge-1.t');
    assert.equal(subjects.upAll, 'hs.evt.up.>');
    assert.deepEqual(subjects.downFor('eu', 'edge-1'), [
      'hs.evt.down._all._all.>',
      'hs.evt.down.eu._all.>',
      'hs.evt.down._all.edge-1.>',
      'hs.evt.down.eu.edge-1.>',
    ]);
    assert.equal(subjects.payload('eu', 'edge-1'), 'hs.pay.eu.edge-1');
    assert.equal(subjects.heartbeat('eu', 'edge-1'), 'hs.hb.eu.edge-1');
    assert.equal(subjects.inboxPrefix('eu', 'edge-1'), '_INBOX.eu.edge-1');
  });
});

describe('parseEventSubject', () => {
  test('takes Up and Down subjects apart (multi-token topics included)', () => {
    assert.deepEqual(parseEventSubject('hs.evt.up.eu.edge-1.cache.invalidate'), {
      dir: 'up',
      namespace: 'eu',
      edgeId: 'edge-1',
      topic: 'cache.invalidate',
    });
    assert.deepEqual(parseEventSubject('hs.evt.down._all._all.t'), {
      dir: 'down',
      namespace: '_all',
      edgeId: '_all',
      topic: 't',
    });
    assert.deepEqual(parseEventSubject('hs.evt.down.eu._all.a.b.c'), {
      dir: 'down',
      namespace: 'eu',
      edgeId: '_all',
      topic: 'a.b.c',
    });
  });

  test('inverts subjects.up and subjects.down', () => {
    for (const [ns, edge, topic] of [
      ['eu', 'e1', 't'],
      ['n-s_1', 'E_2', 'a.b-c.d_e'],
    ] as const) {
      assert.deepEqual(parseEventSubject(subjects.up(ns, edge, topic)), {
        dir: 'up',
        namespace: ns,
        edgeId: edge,
        topic,
      });
      assert.deepEqual(parseEventSubject(subjects.down(ns, edge, topic)), {
        dir: 'down',
        namespace: ns,
        edgeId: edge,
        topic,
      });
    }
  });

  test('undefined for what is not an event subject', () => {
    for (const s of [
      '',
      'hs',
      'hs.evt',
      'hs.evt.up',
      'hs.evt.up.',
      'hs.evt.up.eu',
      'hs.evt.up.eu.',
      'hs.evt.up.eu.edge',
      'hs.evt.up.eu.edge.',
      'hs.evt.down.eu.edge',
      'hs.evt.sideways.eu.edge.t',
      'hs.pay.eu.edge',
      'hs.hb.eu.edge',
      'hs.evt.upx.eu.edge.t',
      'xhs.evt.up.eu.edge.t',
      'HS.EVT.UP.eu.edge.t',
    ]) {
      assert.equal(parseEventSubject(s), undefined, JSON.stringify(s));
    }
  });

  test('undefined when the namespace or edge token is empty', () => {
    for (const s of ['hs.evt.up..edge.t', 'hs.evt.up.eu..t', 'hs.evt.down...t']) {
      assert.equal(parseEventSubject(s), undefined, JSON.stringify(s));
    }
  });
});
