import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { addEdge, initAuthDir, revokeEdge } from '@hubspoke/runtime';
import { edgeFromWire, edgesTable, markRevoked } from './edges.js';

const wire = (edgeId: string, state: string) => ({
  edgeId,
  namespace: 'eu',
  state,
  firstSeenUnixMs: 1000,
  lastSeenUnixMs: 2000,
  version: '0.1.0',
  appliedRevision: 3,
  latestRevision: 4,
  outboxDepth: 0,
  reconnects: 1,
  lastError: '',
});

test('edges shows an edge revoked in the auth folder as revoked (until it is added again)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubspoke-edges-'));
  try {
    initAuthDir(join(dir, 'auth'));
    addEdge(join(dir, 'auth'), 'gone', 'eu');
    addEdge(join(dir, 'auth'), 'kept', 'eu');
    revokeEdge(join(dir, 'auth'), 'gone');
    const edges = [edgeFromWire(wire('gone', 'offline')), edgeFromWire(wire('kept', 'online'))];
    assert.deepEqual(edges[0]?.lastSeen, new Date(2000));
    assert.equal(edges[0]?.lastError, undefined);
    const listed = markRevoked(edges, join(dir, 'auth'));
    assert.deepEqual(
      listed.map((e) => [e.edgeId, e.state]),
      [
        ['gone', 'revoked'],
        ['kept', 'online'],
      ],
    );
    assert.match(edgesTable(listed, 3000), /^gone\s+eu\s+revoked\s+1s ago\s+3\/4/m);
    assert.deepEqual(markRevoked(edges, undefined), edges, 'no auth folder: states as the registry says');
    addEdge(join(dir, 'auth'), 'gone', 'eu');
    assert.equal(markRevoked(edges, join(dir, 'auth'))[0]?.state, 'offline', 'added again: no longer revoked');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
