import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isHubspokeError } from '@hubspoke/sdk';
import { FileKV } from './file-kv.js';

test('FileKV.close() waits for the writes begun, then refuses writes: its folder can be removed at once', async () => {
  const root = await mkdtemp(join(tmpdir(), 'hubspoke-filekv-'));
  try {
    const kv = new FileKV(join(root, 'kv'), 'p');
    const writes = Array.from({ length: 20 }, (_, i) => kv.put(`k${i}`, `v${i}`));
    await kv.close();
    await Promise.all(writes);
    assert.deepEqual(await readdir(join(root, 'kv')), ['p.kv.json'], 'every write done, no temp file left');
    await rm(join(root, 'kv'), { recursive: true });
    await assert.rejects(kv.put('late', 'x'), (err: unknown) => isHubspokeError(err, 'HS_ERR_CLOSED'));
    await assert.rejects(readdir(join(root, 'kv')), /ENOENT/, 'nothing recreated the folder after close');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
