// The admin API over TLS: a client with the CA gets answers; a plaintext client, or one trusting another CA, does not.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AdminClient, startControlPlane } from '@hubspoke/control-plane';
import { testLog } from '../fixtures/fabric.js';
import { makeTestPki, startNatsServer } from '../helpers/index.js';

test('admin API with tls: { cert, key }: answers a client that trusts the CA, refuses plaintext', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hubspoke-admin-tls-'));
  await using hub = await startNatsServer({ domain: 'hub' });
  const pki = makeTestPki(dir);
  const token = 'tls-test-token-0123456789';
  const cp = await startControlPlane({
    natsUrl: hub.url,
    log: testLog(),
    admin: { listen: '127.0.0.1:0', token, tls: { cert: pki.server.cert, key: pki.server.key } },
  });
  const port = (cp.admin?.address as string).split(':')[1];
  const clients: AdminClient[] = [];
  const client = (o: ConstructorParameters<typeof AdminClient>[1]): AdminClient => {
    const c = new AdminClient(`localhost:${port}`, { timeoutMs: 5000, ...o });
    clients.push(c);
    return c;
  };
  try {
    assert.deepEqual(await client({ token, tlsCa: await readFile(pki.ca) }).listEdges(), { edges: [] });
    await assert.rejects(
      client({ token }).listEdges(),
      (e: Error & { code?: string }) => e.code === 'HS_ERR_NOT_CONNECTED',
    );
    await assert.rejects(
      client({ token, tlsCa: await readFile(pki.otherCa) }).listEdges(),
      (e: Error & { code?: string }) => e.code === 'HS_ERR_NOT_CONNECTED',
    );
    await assert.rejects(
      client({ tlsCa: await readFile(pki.ca) }).listEdges(),
      (e: Error & { code?: string }) => e.code === 'HS_ERR_UNAUTHENTICATED',
      'TLS does not replace the token',
    );
  } finally {
    for (const c of clients) c.close();
    await cp.close();
    await rm(dir, { recursive: true, force: true });
  }
});
